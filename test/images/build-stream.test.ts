import { describe, expect, it } from 'vitest';
import { BuildOutput, buildFailedError } from '../../src/images/build-stream.js';
import { LineSplitter, readNdjson } from '../../src/engine/streams.js';

async function* chunks(parts: readonly string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part, 'utf8');
}

async function feed(parts: readonly string[]): Promise<{ build: BuildOutput; lines: string[] }> {
  const build = new BuildOutput();
  const lines: string[] = [];
  for await (const item of readNdjson(chunks(parts))) for (const line of build.push(item)) lines.push(line.text);
  for (const line of build.flush()) lines.push(line.text);
  return { build, lines };
}

const ok = [
  '{"stream":"Step 1/3 : FROM stack-test/busybox\\n"}\r\n',
  '{"stream":" ---\\u003e d088c6dd209b\\n"}\n{"stream":"Step 2/3 : COPY . /app\\n"}\n',
  '{"stream":"Step 3/3 : RUN ls\\n"}\n{"stream":"a.txt\\nb.txt\\n"}\n',
  '{"aux":{"ID":"sha256:' + 'a'.repeat(64) + '"}}\n{"stream":"Successfully built aaaaaaaaaaaa\\n"}\n',
];

describe('NDJSON line splitting', () => {
  it('an object split across chunks comes out whole; \\r\\n is tolerated', () => {
    const splitter = new LineSplitter();
    expect(splitter.push('{"a":')).toEqual([]);
    expect(splitter.push('1}\r\n{"b"')).toEqual(['{"a":1}']);
    expect(splitter.push(':2}')).toEqual([]);
    expect(splitter.end()).toEqual(['{"b":2}']);
  });

  it('a multi-byte character split between chunks is decoded once', () => {
    const bytes = Buffer.from('{"s":"é"}\n', 'utf8');
    const splitter = new LineSplitter();
    expect(splitter.push(bytes.subarray(0, 7))).toEqual([]);
    expect(splitter.push(bytes.subarray(7))).toEqual(['{"s":"é"}']);
  });
});

describe('reading build output', () => {
  it('steps, output and the image ID survive chunks split mid-object', async () => {
    const whole = ok.join('');
    const parts = [whole.slice(0, 17), whole.slice(17, 80), whole.slice(80, 81), whole.slice(81)];
    const { build, lines } = await feed(parts);
    expect(build.imageId).toBe(`sha256:${'a'.repeat(64)}`);
    expect(build.error).toBeUndefined();
    expect(build.steps.map((s) => s.instruction)).toEqual(['', 'FROM stack-test/busybox', 'COPY . /app', 'RUN ls']);
    expect(build.currentStep.output).toEqual(['a.txt', 'b.txt', 'Successfully built aaaaaaaaaaaa']);
    expect(lines).toContain('Step 2/3 : COPY . /app');
  });

  it('a non-JSON line is kept as output, not thrown', async () => {
    const { build, lines } = await feed([
      '{"stream":"Step 1/1 : FROM x\\n"}\n',
      'proxy says hi\n',
      '{"aux":{"ID":"sha256:1"}}\n',
    ]);
    expect(lines).toContain('proxy says hi');
    expect(build.imageId).toBe('sha256:1');
  });

  it('errorDetail in the stream is a failure naming the step and its output', async () => {
    const { build } = await feed([
      '{"stream":"Step 1/2 : FROM x\\n"}\n{"stream":"Step 2/2 : RUN echo boom \\u0026\\u0026 false\\n"}\n',
      '{"stream":" ---\\u003e Running in 0123\\n"}\n{"stream":"boom\\n"}\n',
      '{"errorDetail":{"code":1,"message":"The command \'/bin/sh -c echo boom \\u0026\\u0026 false\' returned a non-zero code: 1"},"error":"The command returned a non-zero code: 1"}\n',
    ]);
    expect(build.error).toMatch(/non-zero code: 1/);
    const error = buildFailedError('demo-web', build);
    expect(error.code).toBe('BUILD_FAILED');
    expect(error.message).toContain('step 2/2 (RUN echo boom && false)');
    expect(error.message).toContain('    boom');
    expect(error.exitCode).toBe(1);
  });

  it('a stream that ends without an image ID is a failure too', async () => {
    const { build } = await feed(['{"stream":"Step 1/1 : FROM x\\n"}\n']);
    expect(build.imageId).toBeUndefined();
    expect(buildFailedError('img', build).message).toMatch(/no image was produced/);
  });
});
