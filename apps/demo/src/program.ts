/**
 * The `gflow` command line, parsed by commander. Parsing and validation live here; the work is
 * done by the handlers passed in, so the parser is testable on its own.
 */
import { availableParallelism } from 'node:os';
import { type ActivationName, activationNames } from '@gflow/core';
import { ENGINE_NAMES } from '@gflow/core/internal';
import { Command, InvalidArgumentError, Option, type OutputConfiguration } from 'commander';
import { numberList } from './grid-values.js';

/** Architectures that `analyze --arch` and `sweep --archs` build. */
export const ARCHITECTURES = [
  'plain-mlp',
  'residual-mlp',
  'highway-mlp',
  'dense-mlp',
  'plain-conv',
  'residual-conv',
] as const;
/** An architecture name. */
export type Architecture = (typeof ARCHITECTURES)[number];

/** Recurrent architectures that `analyze --arch` builds (sequence length `--steps`). */
export const RECURRENT_ARCHITECTURES = ['vanilla-rnn', 'lstm', 'gru', 'orthogonal-rnn'] as const;
/** Architectures that `analyze --arch` builds: the feedforward ones, the recurrent ones and `transformer`. */
export const ANALYZE_ARCHITECTURES = [...ARCHITECTURES, ...RECURRENT_ARCHITECTURES, 'transformer'] as const;
/** An architecture name accepted by `analyze --arch`. */
export type AnalyzeArchitecture = (typeof ANALYZE_ARCHITECTURES)[number];

/** Activations accepted on the command line: exactly the @gflow/core registry's names. */
export const ACTIVATIONS = activationNames;
/** An activation name. */
export type ActivationFlag = ActivationName;

/** Initializations accepted on the command line. */
export const INITS = ['he', 'xavier', 'lecun', 'orthogonal'] as const;
/** An initialization name. */
export type InitFlag = (typeof INITS)[number];

/** Normalizations accepted on the command line. */
export const NORMS = ['none', 'batch', 'layer'] as const;
/** A normalization name. */
export type NormFlag = (typeof NORMS)[number];

/** Normalizations accepted by `analyze --norm`: NORMS for the feedforward nets, pre/post layer norm for the transformer. */
export const ANALYZE_NORMS = [...NORMS, 'pre', 'post'] as const;
/** An `analyze --norm` name. */
export type AnalyzeNormFlag = (typeof ANALYZE_NORMS)[number];

/** Losses accepted by `analyze --loss` (random targets are drawn to suit each). */
export const LOSSES = ['mse', 'softmax-cross-entropy', 'sigmoid-cross-entropy'] as const;
/** A `--loss` name. */
export type LossFlag = (typeof LOSSES)[number];

/** Largest `--steps` (sequence length) accepted. */
export const MAX_STEPS = 10_000;

/** Levels accepted by `analyze --fail-on`: the least severe finding that makes the exit code 2. */
export const FAIL_ON = ['error', 'warning', 'never'] as const;
/** A `--fail-on` level. */
export type FailOn = (typeof FAIL_ON)[number];

/** Engines accepted by `--engine`. */
export const ENGINES = ['auto', ...ENGINE_NAMES] as const;
/** An engine name. */
export type EngineFlag = (typeof ENGINES)[number];

/** Options of `gflow demo`. */
export interface DemoOptions {
  /** Reduced sizes for CI (< 60 s). */
  readonly quick: boolean;
  /** Report folder. */
  readonly out: string;
  /** Section letters to run (default all). */
  readonly sections: readonly string[] | undefined;
  /** Engine. */
  readonly engine: EngineFlag;
}

/** A model given by flags. */
export interface ModelFlags {
  /** Architecture. */
  readonly arch: AnalyzeArchitecture;
  /** Number of blocks (stacked layers for the recurrent nets and the transformer). */
  readonly depth: number;
  /** Activation. */
  readonly activation: ActivationFlag;
  /** Initialization. */
  readonly init: InitFlag;
  /** Normalization (`pre`/`post`: the transformer's layer-norm placement). */
  readonly norm: AnalyzeNormFlag;
  /** Width (MLP units), channels (conv), hidden units (recurrent) or model width (transformer). */
  readonly width: number;
  /** Seed. */
  readonly seed: number;
  /** Sequence length of the recurrent nets and the transformer (default 20). */
  readonly steps?: number;
  /** Residual branch scale α (residual architectures; default 1). */
  readonly branchScale?: number;
}

/** Options of `gflow analyze`. */
export type AnalyzeOptions = {
  /** Print machine-readable JSON instead of text. */
  readonly json: boolean;
  /** Batch size of the random data. */
  readonly batch: number;
  /** Loss of the measurement (default `mse`); random targets are drawn to suit it. */
  readonly loss?: LossFlag;
  /** Engine. */
  readonly engine: EngineFlag;
  /** Exit with code 2 when the diagnosis has a finding this severe or worse (`never`: always 0; default `error`). */
  readonly failOn?: FailOn;
  /** The learning rate you train with: the diagnosis then reports update ratios (lr·‖g‖/‖θ‖). */
  readonly lr?: number;
} & (
  | { readonly kind: 'flags'; readonly model: ModelFlags }
  | { readonly kind: 'file'; readonly path: string }
);

/** Options of `gflow sweep`. */
export interface SweepOptions {
  /** Depths. */
  readonly depths: readonly number[];
  /** Activations. */
  readonly activations: readonly ActivationFlag[];
  /** Initializations. */
  readonly inits: readonly InitFlag[];
  /** Architectures. */
  readonly archs: readonly Architecture[];
  /** Seeds. */
  readonly seeds: readonly number[];
  /** Width. */
  readonly width: number;
  /** Normalization. */
  readonly norm: NormFlag;
  /** Worker threads. */
  readonly workers: number;
  /** JSON-lines results file (appended to; finished cells are skipped on restart). */
  readonly out: string;
  /** Engine each worker starts. */
  readonly engine: EngineFlag;
  /** σ_w² values (each block's kernel ~ N(0, σ_w²/fan-in)); unset: `inits` decide. */
  readonly weightVariances?: readonly number[];
  /** σ_b² values (block biases ~ N(0, σ_b²)); needs `weightVariances`. */
  readonly biasVariances?: readonly number[];
  /** Residual branch scales α (residual architectures only). */
  readonly branchScales?: readonly number[];
  /** `redis://HOST:PORT/DB`: enqueue the cells on this Redis instead of measuring them here. */
  readonly queue?: string;
  /** With `queue`: print the queue's counts and workers, and stop. */
  readonly status?: boolean;
  /** With `queue`: tries per cell before it is recorded as failed. */
  readonly attempts?: number;
  /** With `queue`: the queue's name (default `gflow-sweep`). */
  readonly queueName?: string;
}

/** Options of `gflow worker`. */
export interface WorkerOptions {
  /** `redis://HOST:PORT/DB` of the queue. */
  readonly queue: string;
  /** The queue's name (default `gflow-sweep`). */
  readonly queueName: string;
  /** Cells measured at once, one engine each (default: every core). */
  readonly workers: number;
  /** Engine each thread starts. */
  readonly engine: EngineFlag;
  /** Seconds without a lock renewal after which a worker's cell counts as stalled and is retried elsewhere. */
  readonly stallTimeout: number;
  /** Stop after this many cells (default: run until stopped). */
  readonly maxCells?: number;
}

/** Options of `gflow dashboard`. */
export interface DashboardCommandOptions {
  /** Log directory of runs (`<run>.jsonl` each). */
  readonly logdir: string;
  /** Port (0: any free port). */
  readonly port: number;
  /** Address to bind. */
  readonly host: string;
  /** Write the static export (the report's format) into this folder and exit, instead of serving. */
  readonly export?: string;
}

/** What the command does once parsed. */
export interface Handlers {
  /** `gflow dashboard` (optional so that older handler sets still build; without it the command says so). */
  dashboard?(o: DashboardCommandOptions): Promise<void>;
  /** `gflow demo`. */
  demo(o: DemoOptions): Promise<void>;
  /** `gflow analyze`. */
  analyze(o: AnalyzeOptions): Promise<void>;
  /** `gflow sweep`. */
  sweep(o: SweepOptions): Promise<void>;
  /** `gflow worker`. */
  worker(o: WorkerOptions): Promise<void>;
  /** `gflow backend`. */
  backend(o: { readonly engine: EngineFlag; readonly json: boolean }): Promise<void>;
}

/** A learning rate: a number in (0, 10]. */
function learningRate(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 10)
    throw new InvalidArgumentError(`--lr must be a number greater than 0 and at most 10, got "${v}".`);
  return n;
}

/** `text (1 to max)`: a flag's help with its 1-based range. */
function ranged(text: string, max: number): string {
  return `${text} (1 to ${max.toLocaleString('en-US')})`;
}

function positiveInt(name: string, max: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v.trim()))
      throw new InvalidArgumentError(`${name} must be a positive integer, got "${v}".`);
    const n = Number(v);
    if (n < 1 || n > max) throw new InvalidArgumentError(`${name} must be between 1 and ${max}, got ${n}.`);
    return n;
  };
}

function nonNegativeInt(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v.trim()))
      throw new InvalidArgumentError(`${name} must be a non-negative integer, got "${v}".`);
    return Number(v);
  };
}

function listOf<T>(name: string, item: (s: string) => T) {
  return (v: string): T[] => {
    const parts = v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (parts.length === 0)
      throw new InvalidArgumentError(`${name} must be a comma-separated list, got "${v}".`);
    return parts.map(item);
  };
}

function oneOf<T extends string>(name: string, allowed: readonly T[]) {
  return (v: string): T => {
    if (!(allowed as readonly string[]).includes(v)) {
      throw new InvalidArgumentError(`${name} must be one of ${allowed.join(', ')}; got "${v}".`);
    }
    return v as T;
  };
}

/** Seeds: a list `0,1,2` or an inclusive range `0..4`. */
function seedList(v: string): number[] {
  const range = /^(\d+)\.\.(\d+)$/.exec(v.trim());
  if (range) {
    const a = Number(range[1]);
    const b = Number(range[2]);
    if (b < a) throw new InvalidArgumentError(`--seeds range must be ascending, got "${v}".`);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  }
  return listOf('--seeds', nonNegativeInt('--seeds entry'))(v);
}

/** What is wrong with a sweep's combination of grid flags, or undefined. */
function sweepGridProblem(o: SweepOptions): string | undefined {
  if (o.biasVariances && !o.weightVariances)
    return '--bias-variances needs --weight-variances: σ_b² only applies to weights drawn from N(0, σ_w²/fan-in).';
  const notResidual = o.archs.filter((a) => !a.startsWith('residual-'));
  if (o.branchScales && notResidual.length > 0)
    return `--branch-scales applies to residual architectures only; --archs has ${notResidual.join(', ')}.`;
  if (o.weightVariances && o.archs.some((a) => a === 'highway-mlp' || a === 'dense-mlp'))
    return '--weight-variances applies to plain-mlp, residual-mlp, plain-conv and residual-conv (highway gates and dense concatenations have no single σ_w²).';
  if (o.status && !o.queue) return '--status needs --queue <url>.';
  return undefined;
}

/** A queue name: letters, digits, `-` and `_` (Redis keys are built from it). */
function queueName(v: string): string {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(v))
    throw new InvalidArgumentError(`--queue-name must be 1 to 100 letters, digits, "-" or "_", got "${v}".`);
  return v;
}

const engineOption = () =>
  new Option('--engine <name>', 'TensorFlow.js engine to use').choices(ENGINES).default('auto');

/**
 * Builds the `gflow` command.
 *
 * @param handlers - What each subcommand does.
 * @param settings - `exitOverride` throws a CommanderError instead of exiting (tests);
 *   `output` redirects commander's messages.
 * @returns The commander program; call `parseAsync(argv)`.
 */
export function createProgram(
  handlers: Handlers,
  settings: { readonly exitOverride?: boolean; readonly output?: OutputConfiguration } = {},
): Command {
  const program = new Command('gflow')
    .description('Measure, explain and repair gradient flow in TensorFlow.js networks.')
    .showHelpAfterError('(run with --help for usage)')
    .allowExcessArguments(false);
  // Set before the subcommands are made: they copy these settings when created.
  if (settings.exitOverride) program.exitOverride();
  if (settings.output) program.configureOutput(settings.output);

  program
    .command('demo')
    .description('run the classic gradient-flow experiments and write an HTML report with results.json')
    .option('--quick', 'reduced sizes (finishes in under a minute; what CI runs)', false)
    .option('--out <dir>', 'report folder', 'gflow-report')
    .option(
      '--sections <letters>',
      'only these sections, e.g. a,c,g',
      listOf('--sections', oneOf('--sections entry', [...'abcdefgh'])),
    )
    .addOption(engineOption())
    .action(async (o: { quick: boolean; out: string; sections?: string[]; engine: EngineFlag }) => {
      await handlers.demo({ quick: o.quick, out: o.out, sections: o.sections, engine: o.engine });
    });

  program
    .command('analyze')
    .description(
      'measure the gradient flow of one model (built from flags or read from a model.json) and print the diagnosis',
    )
    .addOption(
      new Option(
        '--arch <name>',
        'architecture (the recurrent ones and transformer read sequences of --steps)',
      )
        .choices(ANALYZE_ARCHITECTURES)
        .conflicts('model'),
    )
    .option(
      '--depth <n>',
      ranged('number of blocks; stacked layers for the recurrent nets and the transformer', 1000),
      positiveInt('--depth', 1000),
    )
    .addOption(
      new Option(
        '--activation <name>',
        'activation (default relu; tanh for the recurrent nets (fixed for lstm and gru), gelu for transformer)',
      )
        .choices(ACTIVATIONS)
        .default('relu'),
    )
    .addOption(
      new Option(
        '--init <name>',
        'initialization (default he; xavier for the recurrent nets and transformer)',
      )
        .choices(INITS)
        .default('he'),
    )
    .addOption(
      new Option(
        '--norm <name>',
        'normalization: none, batch or layer for the feedforward nets; pre or post (layer norm) for transformer',
      )
        .choices(ANALYZE_NORMS)
        .default('none'),
    )
    .option(
      '--width <n>',
      ranged(
        'units per layer (MLP), channels (conv), hidden units (recurrent) or model width (transformer); default 64, 8 for conv',
        4096,
      ),
      positiveInt('--width', 4096),
    )
    .option(
      '--steps <n>',
      ranged(`sequence length of the recurrent nets and transformer (default 20)`, MAX_STEPS),
      positiveInt('--steps', MAX_STEPS),
    )
    .option('--seed <n>', 'random seed (0 or more)', nonNegativeInt('--seed'), 0)
    .addOption(new Option('--model <path>', 'a tfjs LayersModel model.json on disk').conflicts('arch'))
    .option('--batch <n>', ranged('batch size of the random inputs', 4096), positiveInt('--batch', 4096), 16)
    .addOption(
      new Option(
        '--loss <name>',
        'loss of the measurement; random targets suit it (N(0,1), one-hot classes, or 0/1)',
      )
        .choices(LOSSES)
        .default('mse'),
    )
    .option('--json', 'print the flow report as JSON', false)
    .option(
      '--lr <rate>',
      'the learning rate you train with (greater than 0, at most 10): the diagnosis then also judges update ratios lr·‖g‖/‖θ‖',
      learningRate,
    )
    .addOption(
      new Option(
        '--fail-on <severity>',
        'exit with code 2 when the diagnosis has a finding of this severity or worse',
      )
        .choices(FAIL_ON)
        .default('error'),
    )
    .addOption(engineOption())
    .addHelpText(
      'after',
      '\nExit codes: 0 the model was measured and the diagnosis has no finding at the --fail-on level;\n2 it has one (error: an error finding, e.g. non-finite weights or gradients; warning: a warning\nor an error; never: exit 0 whatever the diagnosis); 1 the model could not be measured (bad\nflags, unreadable file, a failure). The diagnosis is printed (or in --json) in every case.',
    )
    .action(
      async (
        o: {
          arch?: AnalyzeArchitecture;
          depth?: number;
          activation: ActivationFlag;
          init: InitFlag;
          norm: AnalyzeNormFlag;
          width?: number;
          steps?: number;
          seed: number;
          model?: string;
          batch: number;
          loss: LossFlag;
          json: boolean;
          failOn: FailOn;
          engine: EngineFlag;
          lr?: number;
        },
        cmd: Command,
      ) => {
        const common = {
          json: o.json,
          batch: o.batch,
          loss: o.loss,
          engine: o.engine,
          failOn: o.failOn,
          ...(o.lr === undefined ? {} : { lr: o.lr }),
        };
        if (o.model !== undefined) {
          if (o.depth !== undefined || o.width !== undefined || o.steps !== undefined) {
            cmd.error(
              'error: --depth, --width and --steps describe a model built from flags; they cannot be used with --model.',
            );
          }
          await handlers.analyze({ ...common, kind: 'file', path: o.model });
          return;
        }
        if (o.arch === undefined) {
          cmd.error(
            'error: give either --arch (with --depth, --activation, --init, --norm) or --model path/to/model.json.',
          );
        }
        if (o.depth === undefined) cmd.error('error: --arch needs --depth <n>.');
        const sequential =
          o.arch === 'transformer' || (RECURRENT_ARCHITECTURES as readonly string[]).includes(o.arch);
        if (!sequential && o.steps !== undefined) {
          cmd.error(
            `error: --steps is the sequence length of the recurrent nets and transformer; ${o.arch} reads no sequence.`,
          );
        }
        const isDefault = (name: string) => cmd.getOptionValueSource(name) === 'default';
        const prePost = o.norm === 'pre' || o.norm === 'post';
        if (o.arch === 'transformer' ? !prePost && !isDefault('norm') : prePost) {
          cmd.error(
            `error: --norm ${o.norm} does not fit --arch ${o.arch}; transformer takes pre or post, the feedforward nets none, batch or layer.`,
          );
        }
        if ((RECURRENT_ARCHITECTURES as readonly string[]).includes(o.arch) && o.norm !== 'none') {
          cmd.error(
            `error: --norm ${o.norm} does not fit --arch ${o.arch}; the recurrent nets take no normalization.`,
          );
        }
        if ((o.arch === 'lstm' || o.arch === 'gru') && !isDefault('activation')) {
          cmd.error(
            `error: --activation does not apply to ${o.arch}, whose gates fix their activations (sigmoid, tanh).`,
          );
        }
        // Each family's usual choice where the flag was not given: tanh recurrences (the LSTM's and
        // GRU's candidate activation, which is what the report's source line then says), a GELU
        // transformer, Xavier-initialized sequence models.
        const activation = !isDefault('activation')
          ? o.activation
          : (RECURRENT_ARCHITECTURES as readonly string[]).includes(o.arch)
            ? 'tanh'
            : o.arch === 'transformer'
              ? 'gelu'
              : o.activation;
        const init = sequential && isDefault('init') ? 'xavier' : o.init;
        const width = o.width ?? (o.arch.endsWith('conv') ? 8 : 64);
        await handlers.analyze({
          ...common,
          kind: 'flags',
          model: {
            arch: o.arch,
            depth: o.depth,
            activation,
            init,
            norm: o.arch === 'transformer' && isDefault('norm') ? 'pre' : o.norm,
            width,
            seed: o.seed,
            ...(sequential ? { steps: o.steps ?? 20 } : {}),
          },
        });
      },
    );

  program
    .command('sweep')
    .description('measure a grid of models in a worker pool (resumable: finished cells are kept in --out)')
    .option(
      '--depths <list>',
      'depths, a list or ranges a..b:step, each 1 to 1,000',
      numberList('--depths', { min: 1, max: 1000, integer: true }),
      [10, 20, 50],
    )
    .option(
      '--activations <list>',
      'activations',
      listOf('--activations', oneOf('--activations entry', ACTIVATIONS)),
      ['relu', 'tanh'],
    )
    .option('--inits <list>', 'initializations', listOf('--inits', oneOf('--inits entry', INITS)), [
      'he',
      'xavier',
    ])
    .option('--archs <list>', 'architectures', listOf('--archs', oneOf('--archs entry', ARCHITECTURES)), [
      'plain-mlp',
      'residual-mlp',
    ])
    .option('--seeds <list>', 'seeds (0 or more): a list 0,1,2 or a range 0..4', seedList, [0])
    .option(
      '--width <n>',
      ranged('units per layer (MLP) or channels (conv)', 4096),
      positiveInt('--width', 4096),
      32,
    )
    .addOption(new Option('--norm <name>', 'normalization').choices(NORMS).default('none'))
    .option(
      '--workers <n>',
      ranged('worker threads (default: every core)', 256),
      positiveInt('--workers', 256),
      availableParallelism(),
    )
    .option('--out <file>', 'results, one JSON line per finished cell', 'gflow-sweep.jsonl')
    .addOption(engineOption())
    .option(
      '--weight-variances <list>',
      'σ_w² values, a list or ranges a..b:step (each block kernel ~ N(0, σ_w²/fan-in); 0 to 100)',
      numberList('--weight-variances', { min: 0, max: 100 }),
    )
    .option(
      '--bias-variances <list>',
      'σ_b² values, a list or ranges a..b:step (block biases ~ N(0, σ_b²); 0 to 100; needs --weight-variances)',
      numberList('--bias-variances', { min: 0, max: 100 }),
    )
    .option(
      '--branch-scales <list>',
      'residual branch scales α in h + α·f(h), a list or ranges (0 to 10; residual architectures only)',
      numberList('--branch-scales', { min: 0, max: 10 }),
    )
    .option(
      '--queue <url>',
      'redis://HOST:PORT/DB: enqueue the cells for `gflow worker`s anywhere and collect their results (password: GFLOW_REDIS_PASSWORD)',
    )
    .option(
      '--status',
      'with --queue: print queued, active, done and failed cells and the workers seen, then stop',
      false,
    )
    .option(
      '--attempts <n>',
      'with --queue: tries per cell before it is recorded as failed (1 to 100)',
      positiveInt('--attempts', 100),
      3,
    )
    .option('--queue-name <name>', 'with --queue: the queue to use', queueName, 'gflow-sweep')
    .action(async (o: SweepOptions, cmd: Command) => {
      const bad = sweepGridProblem(o);
      if (bad) cmd.error(`error: ${bad}`, { code: 'gflow.invalidArgument' });
      await handlers.sweep({ ...o });
    });

  program
    .command('worker')
    .description('measure sweep cells taken from a Redis queue (start one per machine; stop with Ctrl-C)')
    .requiredOption('--queue <url>', 'redis://HOST:PORT/DB of the queue (password: GFLOW_REDIS_PASSWORD)')
    .option('--queue-name <name>', 'the queue to take cells from', queueName, 'gflow-sweep')
    .option(
      '--workers <n>',
      'cells measured at once, one engine each (1 to 256; default: every core)',
      positiveInt('--workers', 256),
      availableParallelism(),
    )
    .option(
      '--stall-timeout <seconds>',
      'a cell whose worker stops renewing its lock for this long is retried by another worker (1 to 3600)',
      positiveInt('--stall-timeout', 3600),
      30,
    )
    .option(
      '--max-cells <n>',
      'stop after this many cells (default: run until stopped)',
      positiveInt('--max-cells', 1e9),
    )
    .addOption(engineOption())
    .action(async (o: WorkerOptions) => {
      await handlers.worker({ ...o });
    });

  program
    .command('backend')
    .description('report which TensorFlow.js engine gflow uses and why')
    .option('--json', 'print the report as JSON', false)
    .addOption(engineOption())
    .action(async (o: { engine: EngineFlag; json: boolean }) => {
      await handlers.backend(o);
    });

  program
    .command('dashboard')
    .description(
      'serve a live dashboard of the runs in a log directory (JSON lines; dashboardLogger streams to it)',
    )
    .option('--logdir <dir>', 'log directory: one <run>.jsonl per run (created when missing)', 'gflow-runs')
    .option('--port <n>', 'port (0: any free port)', portNumber, 6006)
    .option('--host <address>', 'address to bind (0.0.0.0 lets other machines connect)', '127.0.0.1')
    .option(
      '--export <dir>',
      "write a static export (the report's format: index.html, results.json) and exit",
    )
    .action(async (o: DashboardCommandOptions, cmd: Command) => {
      if (!handlers.dashboard) cmd.error('error: this build of gflow has no dashboard.');
      await handlers.dashboard({
        logdir: o.logdir,
        port: o.port,
        host: o.host,
        ...(o.export !== undefined ? { export: o.export } : {}),
      });
    });

  return program;
}

function portNumber(v: string): number {
  if (!/^\d+$/.test(v.trim()))
    throw new InvalidArgumentError(`--port must be an integer 0–65535, got "${v}".`);
  const n = Number(v);
  if (n > 65535) throw new InvalidArgumentError(`--port must be an integer 0–65535, got ${n}.`);
  return n;
}
