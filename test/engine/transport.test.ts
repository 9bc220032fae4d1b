import { describe, expect, it } from 'vitest';
import { toEngineError } from '../../src/engine/errors.js';
import { modemCall, queryString } from '../../src/engine/transport.js';
import type { Modem } from '../../src/engine/transport.js';

/** A modem that answers every dial with `error` (as dockerode's modem shapes a refusal). */
function refusingModem(error: unknown): Modem {
  return { dial: (_options, callback) => callback(error, null) };
}

describe('engine transport', () => {
  it('a refused stream through the modem (TLS, ssh) keeps the engine message it only put in its text', async () => {
    // The modem reads a refused stream's body into the message and leaves `json` null.
    const refusal = Object.assign(
      new Error('(HTTP code 400) bad parameter - dockerfile parse error line 2: unknown instruction: BOGUS '),
      { statusCode: 400, json: null },
    );
    const raw = await modemCall(refusingModem(refusal), {
      method: 'POST',
      path: '/build',
      stream: true,
      what: 'build of app',
    }).catch((e: unknown) => e);
    const error = toEngineError(raw, 'tcp://engine:2376', 'build of app');
    expect(error).toMatchObject({
      code: 'ENGINE_ERROR',
      statusCode: 400,
      engineMessage: 'dockerfile parse error line 2: unknown instruction: BOGUS',
    });
  });

  it('a modem refusal with a JSON body is left as the engine sent it', async () => {
    const refusal = Object.assign(new Error('(HTTP code 404) not found - no such image '), {
      statusCode: 404,
      json: { message: 'No such image: x' },
    });
    const raw = await modemCall(refusingModem(refusal), {
      method: 'GET',
      path: '/images/x/json',
      what: 'image x',
    }).catch((e: unknown) => e);
    expect(toEngineError(raw, 'tcp://engine:2376', 'image x')).toMatchObject({ engineMessage: 'No such image: x' });
  });

  it('query strings repeat arrays (build tags, extra hosts) and send objects as JSON', () => {
    const query = queryString({ t: ['a:1', 'b:2'], filters: { label: ['x=y'] }, nocache: 'true', skipped: undefined });
    const params = new URLSearchParams(query.slice(1));
    expect(params.getAll('t')).toEqual(['a:1', 'b:2']);
    expect(JSON.parse(params.get('filters') ?? '')).toEqual({ label: ['x=y'] });
    expect(params.get('nocache')).toBe('true');
    expect(params.has('skipped')).toBe(false);
  });
});
