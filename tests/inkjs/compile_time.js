#!/usr/bin/env node
// Times inkjs 2.4's compiler: source text → a runtime story as JSON (what Showrunner's
// compile_source produces), N times after a warm-up, and prints
// {"runs": N, "median_ms": .., "p99_ms": ..} on stdout.
//
// Usage: node compile_time.js STORY.ink [N]
"use strict";

const fs = require("fs");
const path = require("path");
const { Compiler, CompilerOptions } = require("inkjs/full");

const [storyPath, runsArg] = process.argv.slice(2);
if (!storyPath) {
  process.stderr.write("usage: node compile_time.js STORY.ink [N]\n");
  process.exit(1);
}
const runs = Number(runsArg || 20);
const dir = path.dirname(storyPath);
const read = (f) => fs.readFileSync(f, "utf-8").replace(/^\ufeff/, "");
const source = read(storyPath);

function compileOnce() {
  const options = new CompilerOptions(storyPath, [], false, () => {}, {
    ResolveInkFilename: (f) => path.resolve(dir, f),
    LoadInkFileContents: (f) => read(path.resolve(dir, f)),
  });
  const story = new Compiler(source, options).Compile();
  return story.ToJson();
}

for (let i = 0; i < Math.max(2, runs / 5); i++) compileOnce();
const times = [];
for (let i = 0; i < runs; i++) {
  const t0 = process.hrtime.bigint();
  compileOnce();
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
times.sort((a, b) => a - b);
const at = (p) => times[Math.min(times.length - 1, Math.round((times.length - 1) * p))];
process.stdout.write(JSON.stringify({ runs, median_ms: at(0.5), p99_ms: at(0.99) }) + "\n");
