import { rmSync } from "node:fs";

/** Removes the demo's temporary data directory once the demo has stopped. */
export default function teardown() {
  const dir = process.env.BRAID_TEST_DATA;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
