// Starts a feeds-emulator child process on a free loopback port (port 0 + port file) and stops it.
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

async function startEmulator(extraArgs = [], env = {}) {
  const binary = process.env.FEEDS_EMULATOR;
  if (!binary) throw new Error("set FEEDS_EMULATOR to the feeds-emulator executable");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "feeds-conformance-"));
  const portFile = path.join(dir, "port");
  const child = spawn(binary, ["--listen", "127.0.0.1:0", "--port-file", portFile, "--quiet", ...extraArgs], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, ...env },
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
  const admin = async (method, adminPath, body) => {
    const response = await fetch(`${url}/_emulator/${adminPath}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${method} /_emulator/${adminPath}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    url,
    admin,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startEmulator };
