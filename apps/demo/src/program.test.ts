import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  type AnalyzeOptions,
  createProgram,
  type DemoOptions,
  type SweepOptions,
  type WorkerOptions,
} from './program.js';

type Call = { cmd: string; o: unknown };

/** Parses argv with recording handlers; returns the call made or the error message printed. */
async function parse(...args: string[]): Promise<{ call?: Call; error?: string; code?: number }> {
  const calls: Call[] = [];
  let err = '';
  const program = createProgram(
    {
      demo: async (o: DemoOptions) => void calls.push({ cmd: 'demo', o }),
      analyze: async (o: AnalyzeOptions) => void calls.push({ cmd: 'analyze', o }),
      sweep: async (o: SweepOptions) => void calls.push({ cmd: 'sweep', o }),
      worker: async (o: WorkerOptions) => void calls.push({ cmd: 'worker', o }),
      backend: async (o) => void calls.push({ cmd: 'backend', o }),
    },
    {
      exitOverride: true,
      output: {
        writeErr: (s) => {
          err += s;
        },
        writeOut: () => {},
      },
    },
  );
  try {
    await program.parseAsync(['node', 'gflow', ...args]);
  } catch (e) {
    if (e instanceof CommanderError) return { error: err, code: e.exitCode };
    throw e;
  }
  return calls[0] ? { call: calls[0] } : {};
}

describe('gflow command line', () => {
  it('demo: defaults and --quick --out', async () => {
    expect((await parse('demo')).call).toEqual({
      cmd: 'demo',
      o: { quick: false, out: 'gflow-report', sections: undefined, engine: 'auto' },
    });
    expect((await parse('demo', '--quick', '--out', '/tmp/r', '--sections', 'a,g')).call?.o).toMatchObject({
      quick: true,
      out: '/tmp/r',
      sections: ['a', 'g'],
    });
  });

  it('demo: rejects an unknown section letter', async () => {
    const r = await parse('demo', '--sections', 'a,z');
    expect(r.code).toBe(1);
    expect(r.error).toMatch(/--sections entry must be one of a, b, c, d, e, f, g, h; got "z"/);
  });

  it('analyze by flags, the issue example', async () => {
    const r = await parse(
      'analyze',
      '--arch',
      'residual-conv',
      '--depth',
      '50',
      '--activation',
      'relu',
      '--init',
      'he',
      '--norm',
      'batch',
    );
    expect(r.call).toEqual({
      cmd: 'analyze',
      o: {
        json: false,
        batch: 16,
        loss: 'mse',
        engine: 'auto',
        failOn: 'error',
        kind: 'flags',
        model: {
          arch: 'residual-conv',
          depth: 50,
          activation: 'relu',
          init: 'he',
          norm: 'batch',
          width: 8,
          seed: 0,
        },
      },
    });
  });

  it('analyze --model with --json', async () => {
    expect((await parse('analyze', '--model', 'm/model.json', '--json')).call?.o).toMatchObject({
      kind: 'file',
      path: 'm/model.json',
      json: true,
    });
  });

  it('analyze --fail-on: error by default, warning or never on request, anything else refused', async () => {
    expect((await parse('analyze', '--model', 'm.json')).call?.o).toMatchObject({ failOn: 'error' });
    expect((await parse('analyze', '--model', 'm.json', '--fail-on', 'warning')).call?.o).toMatchObject({
      failOn: 'warning',
    });
    expect((await parse('analyze', '--model', 'm.json', '--fail-on', 'never')).call?.o).toMatchObject({
      failOn: 'never',
    });
    const r = await parse('analyze', '--model', 'm.json', '--fail-on', 'fatal');
    expect(r.code).toBe(1);
    expect(r.error).toMatch(
      /--fail-on <severity>' argument 'fatal' is invalid. Allowed choices are error, warning, never/,
    );
  });

  it('analyze --help documents --fail-on and the exit codes', async () => {
    let out = '';
    const program = createProgram(
      {
        demo: async () => {},
        analyze: async () => {},
        sweep: async () => {},
        worker: async () => {},
        backend: async () => {},
      },
      {
        exitOverride: true,
        output: {
          writeOut: (t) => {
            out += t;
          },
          writeErr: () => {},
        },
      },
    );
    await program.parseAsync(['node', 'gflow', 'analyze', '--help']).catch((e: unknown) => {
      if (!(e instanceof CommanderError) || e.code !== 'commander.helpDisplayed') throw e;
    });
    const text = out.replace(/\s+/g, ' '); // commander wraps to the terminal's width
    expect(text).toContain(
      '--fail-on <severity> exit with code 2 when the diagnosis has a finding of this severity or worse (choices: "error", "warning", "never", default: "error")',
    );
    expect(text).toMatch(/Exit codes: 0 .* 2 it has one .* 1 the model could not be measured/);
  });

  it('analyze --arch: recurrent nets and the transformer with --steps, their usual defaults, and --loss', async () => {
    expect((await parse('analyze', '--arch', 'lstm', '--depth', '2', '--steps', '30')).call?.o).toMatchObject(
      {
        kind: 'flags',
        loss: 'mse',
        model: {
          arch: 'lstm',
          depth: 2,
          activation: 'tanh',
          init: 'xavier',
          norm: 'none',
          width: 64,
          steps: 30,
        },
      },
    );
    expect((await parse('analyze', '--arch', 'vanilla-rnn', '--depth', '1')).call?.o).toMatchObject({
      model: { arch: 'vanilla-rnn', activation: 'tanh', init: 'xavier', steps: 20 },
    });
    expect(
      (
        await parse(
          'analyze',
          '--arch',
          'orthogonal-rnn',
          '--depth',
          '1',
          '--activation',
          'relu',
          '--init',
          'he',
        )
      ).call?.o,
    ).toMatchObject({ model: { arch: 'orthogonal-rnn', activation: 'relu', init: 'he' } });
    expect((await parse('analyze', '--arch', 'transformer', '--depth', '4')).call?.o).toMatchObject({
      model: { arch: 'transformer', activation: 'gelu', norm: 'pre', steps: 20 },
    });
    expect(
      (
        await parse(
          'analyze',
          '--arch',
          'transformer',
          '--depth',
          '4',
          '--norm',
          'post',
          '--loss',
          'softmax-cross-entropy',
        )
      ).call?.o,
    ).toMatchObject({ loss: 'softmax-cross-entropy', model: { norm: 'post' } });
    expect(
      (await parse('analyze', '--model', 'm.json', '--loss', 'sigmoid-cross-entropy')).call?.o,
    ).toMatchObject({
      kind: 'file',
      loss: 'sigmoid-cross-entropy',
    });
    // A feedforward net keeps its earlier defaults and has no steps.
    const mlp = (await parse('analyze', '--arch', 'plain-mlp', '--depth', '3')).call?.o as AnalyzeOptions;
    expect(mlp).toMatchObject({ model: { activation: 'relu', init: 'he', norm: 'none' } });
    expect(mlp.kind === 'flags' && 'steps' in mlp.model).toBe(false);
  });

  it('analyze: refuses flags that do not fit the architecture', async () => {
    expect((await parse('analyze', '--arch', 'plain-mlp', '--depth', '3', '--steps', '5')).error).toMatch(
      /--steps is the sequence length of the recurrent nets and transformer; plain-mlp reads no sequence/,
    );
    expect((await parse('analyze', '--arch', 'plain-mlp', '--depth', '3', '--norm', 'pre')).error).toMatch(
      /--norm pre does not fit --arch plain-mlp/,
    );
    expect(
      (await parse('analyze', '--arch', 'transformer', '--depth', '3', '--norm', 'batch')).error,
    ).toMatch(/--norm batch does not fit --arch transformer/);
    expect((await parse('analyze', '--arch', 'gru', '--depth', '3', '--norm', 'layer')).error).toMatch(
      /the recurrent nets take no normalization/,
    );
    expect((await parse('analyze', '--arch', 'lstm', '--depth', '3', '--activation', 'relu')).error).toMatch(
      /--activation does not apply to lstm/,
    );
    expect((await parse('analyze', '--arch', 'lstm', '--depth', '3', '--steps', '0')).error).toMatch(
      /--steps must be between 1 and 10000, got 0/,
    );
    expect((await parse('analyze', '--model', 'm.json', '--steps', '5')).error).toMatch(
      /cannot be used with --model/,
    );
    expect((await parse('analyze', '--model', 'm.json', '--loss', 'hinge')).error).toMatch(
      /argument 'hinge' is invalid\. Allowed choices are mse, softmax-cross-entropy, sigmoid-cross-entropy/,
    );
  });

  it('analyze --help gives the 1-based range of every numeric flag', async () => {
    let out = '';
    const program = createProgram(
      {
        demo: async () => {},
        analyze: async () => {},
        sweep: async () => {},
        worker: async () => {},
        backend: async () => {},
      },
      {
        exitOverride: true,
        output: {
          writeOut: (t) => {
            out += t;
          },
          writeErr: () => {},
        },
      },
    );
    await program.parseAsync(['node', 'gflow', 'analyze', '--help']).catch((e: unknown) => {
      if (!(e instanceof CommanderError) || e.code !== 'commander.helpDisplayed') throw e;
    });
    const text = out.replace(/\s+/g, ' ');
    for (const [flag, max] of [
      ['--depth <n>', '1,000'],
      ['--width <n>', '4,096'],
      ['--steps <n>', '10,000'],
      ['--batch <n>', '4,096'],
    ] as const) {
      expect(text).toMatch(new RegExp(`${flag} [^-]*\\(1 to ${max}\\)`));
    }
    expect(text).toMatch(/--seed <n> random seed \(0 or more\)/);
    expect(text).toContain('vanilla-rnn');
    expect(text).toContain('transformer');
  });

  it('analyze: explains what is missing or conflicting', async () => {
    expect((await parse('analyze')).error).toMatch(/give either --arch .* or --model path\/to\/model\.json/);
    expect((await parse('analyze', '--arch', 'plain-mlp')).error).toMatch(/--arch needs --depth <n>/);
    expect((await parse('analyze', '--arch', 'plain-mlp', '--model', 'x.json')).error).toMatch(
      /option '--arch <name>' cannot be used with option '--model <path>'/,
    );
    expect((await parse('analyze', '--arch', 'resnet', '--depth', '3')).error).toMatch(
      /argument 'resnet' is invalid\. Allowed choices are plain-mlp, residual-mlp/,
    );
    expect((await parse('analyze', '--arch', 'plain-mlp', '--depth', '-3')).error).toMatch(
      /--depth must be a positive integer, got "-3"/,
    );
    expect((await parse('analyze', '--arch', 'plain-mlp', '--depth', '0')).error).toMatch(
      /--depth must be between 1 and 1000, got 0/,
    );
    expect((await parse('analyze', '--model', 'a.json', '--depth', '3')).error).toMatch(
      /cannot be used with --model/,
    );
  });

  it('sweep: lists, ranges and defaults', async () => {
    const r = await parse(
      'sweep',
      '--depths',
      '5, 10',
      '--activations',
      'tanh',
      '--seeds',
      '0..3',
      '--workers',
      '3',
      '--out',
      's.jsonl',
    );
    expect(r.call?.o).toMatchObject({
      depths: [5, 10],
      activations: ['tanh'],
      inits: ['he', 'xavier'],
      archs: ['plain-mlp', 'residual-mlp'],
      seeds: [0, 1, 2, 3],
      workers: 3,
      out: 's.jsonl',
    });
    expect((await parse('sweep', '--activations', 'relu,swoosh')).error).toMatch(
      /--activations entry must be one of sigmoid, tanh, .*; got "swoosh"/,
    );
    expect((await parse('sweep', '--seeds', '4..2')).error).toMatch(
      /--seeds range must be ascending, got "4\.\.2"/,
    );
    expect((await parse('sweep', '--depths', ',')).error).toMatch(/--depths must be a comma-separated list/);
  });

  it('sweep: σ_w², σ_b² and branch-scale grids, the queue flags, and combinations that make no sense', async () => {
    const r = await parse(
      'sweep',
      '--archs',
      'residual-mlp',
      '--depths',
      '10..30:10',
      '--weight-variances',
      '1..2:0.25',
      '--bias-variances',
      '0,0.05',
      '--branch-scales',
      '0.1,1',
      '--queue',
      'redis://10.1.2.3:6379/2',
      '--attempts',
      '5',
    );
    expect(r.call?.o).toMatchObject({
      depths: [10, 20, 30],
      weightVariances: [1, 1.25, 1.5, 1.75, 2],
      biasVariances: [0, 0.05],
      branchScales: [0.1, 1],
      queue: 'redis://10.1.2.3:6379/2',
      attempts: 5,
      queueName: 'gflow-sweep',
      status: false,
    });
    expect((await parse('sweep', '--bias-variances', '0.1')).error).toMatch(
      /--bias-variances needs --weight-variances/,
    );
    expect((await parse('sweep', '--branch-scales', '0.5')).error).toMatch(
      /--branch-scales applies to residual architectures only; --archs has plain-mlp/,
    );
    expect((await parse('sweep', '--status')).error).toMatch(/--status needs --queue/);
    expect((await parse('sweep', '--weight-variances', '1..0')).error).toMatch(/must be ascending/);
    expect((await parse('sweep', '--queue-name', 'a:b')).error).toMatch(
      /--queue-name must be 1 to 100 letters/,
    );
  });

  it('worker: the queue is required; defaults', async () => {
    expect((await parse('worker')).error).toMatch(/required option '--queue <url>' not specified/);
    expect(
      (await parse('worker', '--queue', 'redis://h:1/0', '--workers', '2', '--stall-timeout', '5')).call,
    ).toEqual({
      cmd: 'worker',
      o: { queue: 'redis://h:1/0', queueName: 'gflow-sweep', workers: 2, stallTimeout: 5, engine: 'auto' },
    });
  });

  it('analyze --lr: a rate in (0, 10]', async () => {
    expect(
      (await parse('analyze', '--arch', 'plain-mlp', '--depth', '3', '--lr', '0.01')).call?.o,
    ).toMatchObject({
      lr: 0.01,
    });
    expect((await parse('analyze', '--arch', 'plain-mlp', '--depth', '3')).call?.o).not.toHaveProperty('lr');
    expect((await parse('analyze', '--arch', 'plain-mlp', '--depth', '3', '--lr', '0')).error).toMatch(
      /--lr must be a number greater than 0 and at most 10, got "0"/,
    );
  });

  it('backend, and unknown commands', async () => {
    expect((await parse('backend', '--engine', 'cpu')).call).toEqual({
      cmd: 'backend',
      o: { engine: 'cpu', json: false },
    });
    expect((await parse('backend', '--engine', 'tpu')).error).toMatch(
      /Allowed choices are auto, tensorflow-gpu/,
    );
    expect((await parse('frobnicate')).error).toMatch(/unknown command 'frobnicate'/);
  });
});
