// Starts a dataverse-emulator child process on a free loopback port (port 0 + port file) and stops it.
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

async function startEmulator(extraArgs = []) {
  const binary = process.env.DATAVERSE_EMULATOR;
  if (!binary) throw new Error("set DATAVERSE_EMULATOR to the dataverse-emulator executable");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dwa-conformance-"));
  const portFile = path.join(dir, "port");
  const child = spawn(binary, ["--listen", "127.0.0.1:0", "--port-file", portFile, "--quiet", ...extraArgs], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, DWA_CLIENT_SECRET: "conformance-secret" },
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const deadline = Date.now() + 15000;
  while (!fs.existsSync(portFile)) {
    if (child.exitCode !== null) throw new Error(`emulator exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error("emulator did not write its port file within 15 s");
    await new Promise((r) => setTimeout(r, 20));
  }
  const port = Number(fs.readFileSync(portFile, "utf8").trim());
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startEmulator };
