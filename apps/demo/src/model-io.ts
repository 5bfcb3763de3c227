/**
 * Reading and writing tfjs LayersModels on the local file system without `@tensorflow/tfjs-node`:
 * a `tf.io.IOHandler` over `node:fs`. Weight files named by a model's manifest must lie inside
 * the model's folder; a path that escapes it is refused before anything is read.
 */
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { GflowIOError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';
import { shortenLists } from './cli-error.js';

/** Name of the weights file written by {@link fileSaveHandler}. */
export const WEIGHTS_FILE = 'weights.bin';

function isInside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/**
 * Resolves a weight path from a manifest against the model's folder, refusing absolute paths,
 * URLs and paths that leave the folder (also through symbolic links).
 *
 * @param modelDir - The folder holding model.json (already a real path).
 * @param p - The path as written in the manifest.
 * @returns The absolute path of the weight file.
 * @throws GflowIOError when the path escapes the folder or does not exist.
 */
export async function resolveWeightPath(modelDir: string, p: string): Promise<string> {
  if (typeof p !== 'string' || p.length === 0) {
    throw new GflowIOError(
      `loadModelFromFile: weightsManifest path must be a non-empty string, got ${JSON.stringify(p)}`,
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p) || isAbsolute(p) || p.includes('\0')) {
    throw new GflowIOError(
      `loadModelFromFile: weight file "${p}" must be a relative path inside the model's folder ${modelDir}; absolute paths and URLs are refused`,
    );
  }
  const target = resolve(modelDir, p);
  if (!isInside(modelDir, target)) {
    throw new GflowIOError(
      `loadModelFromFile: weight file "${p}" escapes the model's folder ${modelDir}; weight files must lie inside it`,
    );
  }
  let real: string;
  try {
    real = await realpath(target);
  } catch (e) {
    throw new GflowIOError(
      `loadModelFromFile: weight file "${p}" named in the manifest does not exist in ${modelDir}`,
      {
        cause: e,
      },
    );
  }
  if (!isInside(modelDir, real)) {
    throw new GflowIOError(
      `loadModelFromFile: weight file "${p}" links to ${real}, outside the model's folder ${modelDir}; refused`,
    );
  }
  return real;
}

/**
 * A `tf.io.IOHandler` that loads a LayersModel (model.json plus its weight files) from disk with
 * `node:fs`.
 *
 * @param modelJsonPath - Path of model.json.
 * @returns The handler, for `tf.loadLayersModel(handler)`.
 */
export function fileLoadHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    load: async (): Promise<tf.io.ModelArtifacts> => {
      let text: string;
      let modelDir: string;
      try {
        const realJson = await realpath(modelJsonPath);
        modelDir = dirname(realJson);
        text = await readFile(realJson, 'utf8');
      } catch (e) {
        throw new GflowIOError(`loadModelFromFile: cannot read ${modelJsonPath}: ${(e as Error).message}`, {
          cause: e,
        });
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new GflowIOError(`loadModelFromFile: ${modelJsonPath} is not JSON (${(e as Error).message})`, {
          cause: e,
        });
      }
      const mj = json as Partial<tf.io.ModelJSON> & { format?: unknown };
      if (typeof json !== 'object' || json === null || Array.isArray(json)) {
        throw new GflowIOError(
          `loadModelFromFile: ${modelJsonPath} must hold a JSON object, got ${describe(json)}`,
        );
      }
      if (mj.format === 'graph-model') {
        throw new GflowIOError(
          `loadModelFromFile: ${modelJsonPath} is a tfjs GraphModel (format "graph-model"), which has no layers or trainable weights to analyze; a LayersModel (format "layers-model") is needed`,
        );
      }
      if (typeof mj.modelTopology !== 'object' || mj.modelTopology === null) {
        throw new GflowIOError(
          `loadModelFromFile: ${modelJsonPath} has no "modelTopology" object, so it is not a tfjs model.json`,
        );
      }
      if (!Array.isArray(mj.weightsManifest)) {
        throw new GflowIOError(
          `loadModelFromFile: ${modelJsonPath} has no "weightsManifest" array, so it is not a tfjs model.json`,
        );
      }
      for (const group of mj.weightsManifest) {
        if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
          throw new GflowIOError(
            `loadModelFromFile: ${modelJsonPath}: each weightsManifest entry needs "paths" and "weights" arrays, got ${describe(group)}`,
          );
        }
      }
      // Check every path before reading any file.
      const resolved: string[][] = [];
      for (const group of mj.weightsManifest) {
        const paths: string[] = [];
        for (const p of group.paths) paths.push(await resolveWeightPath(modelDir, p));
        resolved.push(paths);
      }
      return tf.io.getModelArtifactsForJSON(mj as tf.io.ModelJSON, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const [i, group] of manifest.entries()) {
          specs.push(...group.weights);
          for (const file of resolved[i] ?? []) {
            const b = await readFile(file);
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
          }
        }
        const data = tf.io.concatenateArrayBuffers(buffers);
        const need = specs.reduce((s, w) => s + weightBytes(w), 0);
        if (data.byteLength !== need) {
          throw new GflowIOError(
            `loadModelFromFile: the weight files of ${modelJsonPath} hold ${data.byteLength} bytes but the manifest describes ${need}; the files are truncated or belong to another model`,
          );
        }
        return [specs, data];
      });
    },
  };
}

function weightBytes(w: tf.io.WeightsManifestEntry): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  if (w.quantization) return n * (w.quantization.dtype === 'uint8' ? 1 : 2);
  if (w.dtype === 'string') return 0;
  return n * 4;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v === 'object' ? 'an object without the needed fields' : `${typeof v} ${JSON.stringify(v)}`;
}

/**
 * A `tf.io.IOHandler` that saves a LayersModel as `model.json` plus one `weights.bin` in a folder.
 *
 * @param dir - The folder (created if missing).
 * @returns The handler, for `model.save(handler)`.
 */
export function fileSaveHandler(dir: string): tf.io.IOHandler {
  return {
    save: async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      await mkdir(dir, { recursive: true });
      const data = artifacts.weightData
        ? Array.isArray(artifacts.weightData)
          ? tf.io.concatenateArrayBuffers(artifacts.weightData)
          : (artifacts.weightData as ArrayBuffer)
        : new ArrayBuffer(0);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
      };
      await writeFile(join(dir, WEIGHTS_FILE), new Uint8Array(data));
      await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(modelJson),
      } as tf.io.SaveResult;
    },
  };
}

/**
 * Loads a LayersModel from a model.json on disk. Every failure (missing file, not JSON, a
 * GraphModel, a topology tfjs cannot build, weights that do not fit) becomes one `GflowIOError`
 * whose message is a single paragraph, with long lists of names cut to a few and a count. The
 * model is built first and its weights set after, so that a refused file leaves no tensor behind
 * (tfjs's own loader keeps every variable of a model whose weights it refuses).
 *
 * @param modelJsonPath - Path of model.json.
 * @returns The model; the caller disposes it (`model.dispose()`).
 * @throws GflowIOError on any failure.
 */
export async function loadModelFromFile(modelJsonPath: string): Promise<tf.LayersModel> {
  let model: tf.LayersModel | undefined;
  try {
    const load = fileLoadHandler(modelJsonPath).load as () => Promise<tf.io.ModelArtifacts>;
    const { weightData, weightSpecs, ...topology } = await load();
    // The topology alone (tfjs handles `model_config`, the training config and metadata).
    model = await tf.loadLayersModel({ load: async () => topology });
    if (weightData !== undefined && weightSpecs !== undefined) {
      const decoded = tf.io.decodeWeights(weightData, weightSpecs);
      try {
        // As tfjs's loader: optimizer state is not part of the model's weights.
        const modelWeights: tf.NamedTensorMap = {};
        for (const spec of weightSpecs) {
          const t = decoded[spec.name];
          if (spec.group !== 'optimizer' && t) modelWeights[spec.name] = t;
        }
        model.loadWeights(modelWeights, true);
      } finally {
        tf.dispose(Object.values(decoded));
      }
    }
    return model;
  } catch (e) {
    model?.dispose();
    if (e instanceof GflowIOError) throw e;
    const why = shortenLists(((e as Error)?.message ?? String(e)).replace(/\s+/g, ' ').trim());
    throw new GflowIOError(
      `loadModelFromFile: ${modelJsonPath} could not be built as a tfjs LayersModel: ${why}. A model.json written by tfjs's model.save (format "layers-model") with its weight files beside it is needed.`,
      { cause: e },
    );
  }
}
