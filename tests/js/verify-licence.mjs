// Verify an Entitle licence file with the standard `jose` library, as docs/licence-files.md shows.
// Usage: node verify-licence.mjs LICENCE_FILE KEYS.json  → prints the verified claims as JSON.
import { readFileSync } from "node:fs";
import { compactVerify, createLocalJWKSet } from "jose";

const [licencePath, keysPath] = process.argv.slice(2);
const text = readFileSync(licencePath, "utf8");
const token = text.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
const jwks = createLocalJWKSet(JSON.parse(readFileSync(keysPath, "utf8")));
const { payload, protectedHeader } = await compactVerify(token, jwks, { algorithms: ["EdDSA"] });
if (protectedHeader.typ !== "entitle-licence+jwt") throw new Error("not a licence file");
const claims = JSON.parse(new TextDecoder().decode(payload));
process.stdout.write(JSON.stringify(claims) + "\n");
