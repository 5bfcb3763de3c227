/**
 * Reading and writing tfjs LayersModels on the local file system without `@tensorflow/tfjs-node`:
 * a `tf.io.IOHandler` over `node:fs`. Weight files named by a model's manifest must lie inside
 * the model's folder; a path that escapes it is refused before anything is read, and the files'
 * sizes are checked against the manifest before any byte is read.
 */
import { mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { GflowIOError, InvalidArgumentError } from '@gflow/core';
import * as tf from '@tensorflow/tfjs';

/** Name of the weights file that {@link fileSystem} writes beside `model.json`. */
export const WEIGHTS_FILE = 'weights.bin';

/** Lists longer than this many items are cut in the messages that quote tfjs. */
const LIST_LIMIT = 8;
const LIST_KEEP = 5;
const LIST = new RegExp(`[^\\s,\\[\\]()]+(?:, ?[^\\s,\\[\\]()]+){${LIST_LIMIT},}`, 'g');

/** Cuts long comma-separated lists in a quoted message to a few items and a count. */
function shortenLists(text: string): string {
  return text.replace(LIST, (list) => {
    const end = /[.;:!?]+$/.exec(list)?.[0] ?? '';
    const items = list.slice(0, list.length - end.length).split(/, ?/);
    return `${items.slice(0, LIST_KEEP).join(', ')} … and ${items.length - LIST_KEEP} more${end}`;
  });
}

function isInside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

function checkPath(fn: string, path: unknown): string {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) {
    throw new InvalidArgumentError(
      `${fn}: path must be a non-empty file system path, got ${typeof path === 'string' ? JSON.stringify(path) : typeof path}`,
    );
  }
  if (path.startsWith('file://')) return path.slice('file://'.length);
  return path;
}

/**
 * Resolves a weight path from a manifest against the model's folder, refusing absolute paths,
 * URLs and paths that leave the folder (also through symbolic links).
 *
 * @param modelDir - The folder holding model.json (already a real path).
 * @param p - The path as written in the manifest.
 * @returns The absolute real path of the weight file.
 * @throws GflowIOError (from `@gflow/core`) when the path escapes the folder or does not exist.
 * @example
 * ```ts
 * await resolveWeightPath('/models/mine', './weights.bin'); // '/models/mine/weights.bin'
 * await resolveWeightPath('/models/mine', '../../etc/passwd'); // throws GflowIOError
 * ```
 */
export function resolveWeightPath(modelDir: string, p: string): Promise<string> {
  return resolveIn('resolveWeightPath', modelDir, p);
}

async function resolveIn(fn: string, modelDir: string, p: string): Promise<string> {
  if (typeof p !== 'string' || p.length === 0) {
    throw new GflowIOError(
      `${fn}: weightsManifest path must be a non-empty string, got ${JSON.stringify(p)}`,
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p) || isAbsolute(p) || p.includes('\0')) {
    throw new GflowIOError(
      `${fn}: weight file "${p}" must be a relative path inside the model's folder ${modelDir}; absolute paths and URLs are refused`,
    );
  }
  const target = resolve(modelDir, p);
  if (!isInside(modelDir, target)) {
    throw new GflowIOError(
      `${fn}: weight file "${p}" escapes the model's folder ${modelDir}; weight files must lie inside it`,
    );
  }
  let real: string;
  try {
    real = await realpath(target);
  } catch (e) {
    throw new GflowIOError(`${fn}: weight file "${p}" named in the manifest does not exist in ${modelDir}`, {
      cause: e,
    });
  }
  if (!isInside(modelDir, real)) {
    throw new GflowIOError(
      `${fn}: weight file "${p}" links to ${real}, outside the model's folder ${modelDir}; refused`,
    );
  }
  return real;
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

/** model.json for a path that names either the file or its folder. */
async function modelJsonOf(path: string): Promise<string> {
  try {
    if ((await stat(path)).isDirectory()) return join(path, 'model.json');
  } catch {
    // reported by the read that follows
  }
  return path;
}

/** Reads and checks model.json and its weights: the artifacts `tf.loadLayersModel` takes. */
async function readArtifacts(fn: string, path: string): Promise<tf.io.ModelArtifacts> {
  const modelJsonPath = await modelJsonOf(path);
  let text: string;
  let modelDir: string;
  try {
    const realJson = await realpath(modelJsonPath);
    modelDir = dirname(realJson);
    text = await readFile(realJson, 'utf8');
  } catch (e) {
    throw new GflowIOError(`${fn}: cannot read ${modelJsonPath}: ${(e as Error).message}`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new GflowIOError(`${fn}: ${modelJsonPath} is not JSON (${(e as Error).message})`, { cause: e });
  }
  const mj = json as Partial<tf.io.ModelJSON> & { format?: unknown };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new GflowIOError(`${fn}: ${modelJsonPath} must hold a JSON object, got ${describe(json)}`);
  }
  if (mj.format === 'graph-model') {
    throw new GflowIOError(
      `${fn}: ${modelJsonPath} is a tfjs GraphModel (format "graph-model"), which has no layers or trainable weights; a LayersModel (format "layers-model") is needed`,
    );
  }
  if (typeof mj.modelTopology !== 'object' || mj.modelTopology === null) {
    throw new GflowIOError(
      `${fn}: ${modelJsonPath} has no "modelTopology" object, so it is not a tfjs model.json`,
    );
  }
  if (!Array.isArray(mj.weightsManifest)) {
    throw new GflowIOError(
      `${fn}: ${modelJsonPath} has no "weightsManifest" array, so it is not a tfjs model.json`,
    );
  }
  for (const group of mj.weightsManifest) {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new GflowIOError(
        `${fn}: ${modelJsonPath}: each weightsManifest entry needs "paths" and "weights" arrays, got ${describe(group)}`,
      );
    }
  }
  // Check every path, then every size, before reading any weight file.
  const resolved: string[][] = [];
  let have = 0;
  let need = 0;
  for (const group of mj.weightsManifest) {
    const paths: string[] = [];
    for (const p of group.paths) {
      paths.push(await resolveIn(fn, modelDir, p));
    }
    for (const p of paths) have += (await stat(p)).size;
    for (const w of group.weights) need += weightBytes(w);
    resolved.push(paths);
  }
  const sizeError = (bytes: number) =>
    new GflowIOError(
      `${fn}: the weight files of ${modelJsonPath} hold ${bytes} bytes but the manifest describes ${need}; the files are truncated or belong to another model`,
    );
  if (have !== need) throw sizeError(have);
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
    // The files may have changed since they were measured.
    if (data.byteLength !== need) throw sizeError(data.byteLength);
    return [specs, data];
  });
}

/** Writes model.json and one weights file for `model.save`. */
async function writeArtifacts(
  fn: string,
  path: string,
  artifacts: tf.io.ModelArtifacts,
): Promise<tf.io.SaveResult> {
  const toJson = path.endsWith('.json');
  const dir = toJson ? dirname(path) : path;
  const jsonName = toJson ? basename(path) : 'model.json';
  if (jsonName === WEIGHTS_FILE) {
    throw new InvalidArgumentError(`${fn}: path must not name the weights file ${WEIGHTS_FILE}, got ${path}`);
  }
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
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
  };
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, WEIGHTS_FILE), new Uint8Array(data));
    await writeFile(join(dir, jsonName), JSON.stringify(modelJson));
  } catch (e) {
    throw new GflowIOError(`${fn}: cannot write the model to ${dir}: ${(e as Error).message}`, { cause: e });
  }
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON({ ...artifacts, weightData: data }) };
}

/**
 * A `tf.io.IOHandler` over `node:fs` that saves and loads tfjs LayersModels on the local disk,
 * without `@tensorflow/tfjs-node`: `model.save(fileSystem(dir))` writes `dir/model.json` and
 * `dir/weights.bin` (creating `dir`), and `tf.loadLayersModel(fileSystem(path))` reads a
 * `model.json` (`path` may name the file or its folder) with the weight files its manifest names.
 * A weight path that is absolute, a URL, or leaves the model's folder (also through a symbolic
 * link) is refused before anything is read, and the weight files' total size must equal what the
 * manifest describes, checked before any weight byte is read. A leading `file://` is accepted.
 *
 * @param path - A folder (or a `.json` file name) to save to; a `model.json` or its folder to load.
 * @returns The handler, with `save` and `load`.
 * @throws InvalidArgumentError (from `@gflow/core`) for an empty path; the handler's `load` and
 *   `save` reject with GflowIOError for unreadable, foreign or broken files and escaping paths.
 * @example
 * ```ts
 * import { fileSystem } from '@gflow/models/node';
 * await model.save(fileSystem('./my-model'));
 * const back = await tf.loadLayersModel(fileSystem('./my-model/model.json'));
 * ```
 * @see {@link https://www.tensorflow.org/js/guide/save_load | TensorFlow.js: save and load models}
 */
export function fileSystem(path: string): tf.io.IOHandler {
  const p = checkPath('fileSystem', path);
  return {
    save: (artifacts: tf.io.ModelArtifacts) => writeArtifacts('fileSystem(…).save', p, artifacts),
    load: () => readArtifacts('fileSystem(…).load', p),
  };
}

/**
 * Loads a LayersModel from a `model.json` on disk (or its folder), as `tf.loadLayersModel(fileSystem(path))`
 * but with every failure (missing file, not JSON, a GraphModel, a topology tfjs cannot build,
 * weights that do not fit) turned into one `GflowIOError` whose message is a single paragraph, with
 * long lists of names cut to a few and a count. The model is built first and its weights set after,
 * so a refused file leaves no tensor behind (tfjs's own loader keeps every variable of a model
 * whose weights it refuses).
 *
 * @param path - Path of model.json, or of its folder.
 * @returns The model; the caller disposes it (`model.dispose()`).
 * @throws GflowIOError (from `@gflow/core`) on any failure; InvalidArgumentError for an empty path.
 * @example
 * ```ts
 * import { loadModelFromFile } from '@gflow/models/node';
 * const model = await loadModelFromFile('./my-model/model.json');
 * ```
 * @see {@link https://www.tensorflow.org/js/guide/save_load | TensorFlow.js: save and load models}
 */
export async function loadModelFromFile(path: string): Promise<tf.LayersModel> {
  const fn = 'loadModelFromFile';
  const p = checkPath(fn, path);
  let model: tf.LayersModel | undefined;
  try {
    const { weightData, weightSpecs, ...topology } = await readArtifacts(fn, p);
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
      `${fn}: ${path} could not be built as a tfjs LayersModel: ${why}. A model.json written by tfjs's model.save (format "layers-model") with its weight files beside it is needed.`,
      { cause: e },
    );
  }
}
