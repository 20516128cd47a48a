/** A real HTTP server on 127.0.0.1 that answers like Google Places Nearby Search. */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const fixtureText = (name: string): string => readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url), 'utf8');

export const fixture = (name: string): Record<string, unknown> => JSON.parse(fixtureText(name)) as Record<string, unknown>;

/**
 * The JSON part of a WHATSAT reply with bound 5 to nearbysearch-ok.json: Google's object with
 * its first 5 results, indented by 3 as Google does. Written by another program (Python's
 * json.dumps(indent=3, ensure_ascii=False)), so it is not the code under test's own output.
 */
export const OK_BOUND_5 = 'nearbysearch-ok-bound5.txt';

export interface FakeGoogle {
  readonly origin: string;
  readonly requests: URL[];
  close(): Promise<void>;
}

export type Responder = (url: URL, req: IncomingMessage, res: ServerResponse) => void;

export async function startFakeGoogle(respond: Responder): Promise<FakeGoogle> {
  const requests: URL[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url);
    respond(url, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(body: unknown, delayMs = 0): Responder {
  return (_url, _req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify(body, null, 3));
    }, delayMs);
  };
}
