import { connectMatrixClient, type ClientKind, type MatrixClient } from "./protocol-matrix-clients";
import {
  MATRIX_CASES,
  expectedCatalog,
  expectedEra,
  listedCatalog,
  type MatrixCase,
  type MatrixEndpoint,
  type MatrixTarget,
} from "./protocol-matrix-cases";

/**
 * The matrix row of one client kind at one endpoint, as jest tests (call inside a describe): connect (initialize or
 * the server/discover probe), the era it landed on, the lists, then every operation on every upstream behind the
 * endpoint. `url` is read when the suite runs (the endpoint starts in a beforeAll).
 */
export function describeMatrixRow(kind: ClientKind, endpoint: MatrixEndpoint, url: () => string): void {
  let connected: MatrixClient | undefined;
  const client = (): MatrixClient => {
    if (connected === undefined) throw new Error(`${kind} is not connected to ${endpoint.label}`);
    return connected;
  };
  const era = expectedEra(kind, endpoint);

  // A failed connect (a pinned client at an endpoint without 2026-07-28) fails every test below with its error.
  beforeAll(async () => {
    connected = await connectMatrixClient(kind, url());
  });
  afterAll(async () => {
    await connected?.close();
  });

  it(`negotiates the ${era} era`, () => {
    expect(client().era).toBe(era);
  });

  it("lists every tool, prompt, resource and template under its upstream's prefix", async () => {
    expect(await listedCatalog(client(), endpoint)).toEqual(expectedCatalog(endpoint));
  });

  const rows: [string, string, MatrixCase, MatrixTarget][] = MATRIX_CASES.flatMap((operation) =>
    endpoint.targets.map((target): [string, string, MatrixCase, MatrixTarget] => [
      operation.name,
      target.label,
      operation,
      target,
    ]),
  );
  it.each(rows)("%s (%s)", async (_name, _target, operation, target) => {
    expect(await operation.run(client(), target)).toEqual(operation.expected(target, era));
  });
}
