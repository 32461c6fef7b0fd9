#!/usr/bin/env node
// Reference-transcript harness: compiles an .ink source with inkjs (2.4.0)
// and plays it with a fixed list of choice indices, printing one JSON
// document describing everything the story emitted.
//
// Usage: node transcript.js STORY.ink [CHOICES] [--json-out FILE] [--direct]
//   CHOICES      comma-separated choice indices, e.g. "1,0,2" (may be empty)
//   --json-out F also write the compiled story JSON (as inkjs emits it) to F
//   --direct     play the Story object returned by the compiler instead of
//                re-loading it from its JSON (default: JSON round trip, which
//                is what a JSON-consuming runtime such as bladeink sees)
//
// Output (stdout): {"events":[...]}\n
//   {"line": TEXT, "tags": [..]}                      one per Continue()
//   {"choices": [{"text":..,"tags":[..]}..], "chose": K}
//   {"end": true}                                     story finished
//   {"error": "too many events"}                      safety stop (20000)
//   {"error": "RUNTIME ERROR: ..."}                   runtime error/warning
//                                                     (exit 3; also on stderr)
// Exit codes: 0 ok, 1 usage/IO, 2 compile error (messages on stderr),
//             3 runtime error/warning/exception, 4 too many events.
"use strict";

const fs = require("fs");
const path = require("path");
const { Compiler, CompilerOptions, Story } = require("inkjs/full");

const MAX_EVENTS = 20000;

function usage(msg) {
  if (msg) process.stderr.write(msg + "\n");
  process.stderr.write(
    "usage: node transcript.js STORY.ink [CHOICES] [--json-out FILE] [--direct]\n"
  );
  process.exit(1);
}

// ---- arguments -------------------------------------------------------------
const positional = [];
let jsonOut = null;
let direct = false;
{
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json-out") {
      if (i + 1 >= argv.length) usage("--json-out needs a file name");
      jsonOut = argv[++i];
    } else if (a === "--direct") {
      direct = true;
    } else if (a === "-h" || a === "--help") {
      usage();
    } else {
      positional.push(a);
    }
  }
}
if (positional.length < 1 || positional.length > 2) usage();

const storyPath = path.resolve(positional[0]);
const choiceArg = positional.length > 1 ? positional[1].trim() : "";
const choices = [];
if (choiceArg !== "") {
  for (const part of choiceArg.split(",")) {
    const p = part.trim();
    if (!/^\d+$/.test(p)) usage(`bad choice index: ${JSON.stringify(part)}`);
    choices.push(parseInt(p, 10));
  }
}

// ---- compile ---------------------------------------------------------------
function readInk(file) {
  return fs.readFileSync(file, "utf-8").replace(/^\ufeff/, "");
}

let source;
try {
  source = readInk(storyPath);
} catch (e) {
  process.stderr.write(`cannot read ${storyPath}: ${e.message}\n`);
  process.exit(1);
}

// INCLUDE paths are resolved relative to the main story's folder.
const storyDir = path.dirname(storyPath);
const fileHandler = {
  ResolveInkFilename: (filename) => path.resolve(storyDir, filename),
  LoadInkFileContents: (filename) => readInk(path.resolve(storyDir, filename)),
};

const compileMessages = [];
const options = new CompilerOptions(
  storyPath,
  [],
  false,
  (message, type) => {
    // type: 0 = Author (TODO:), 1 = Warning, 2 = Error
    compileMessages.push({ message, type });
  },
  fileHandler
);

const compiler = new Compiler(source, options);
let compiled = null;
try {
  compiled = compiler.Compile();
} catch (e) {
  // inkjs throws "Compilation failed." from the runtimeStory getter when the
  // parser reported errors; anything else is an internal compiler exception.
  if (!(e instanceof Error && e.message === "Compilation failed.")) {
    compileMessages.push({ message: `compiler exception: ${e && e.stack}`, type: 2 });
  }
  compiled = null;
}
// inkjs messages already carry their "ERROR:" / "WARNING:" / "TODO:" prefix.
for (const { message } of compileMessages) {
  process.stderr.write(`${message}\n`);
}
if (compiled === null || compiler.errors.length > 0 || compileMessages.some((m) => m.type === 2)) {
  process.exit(2);
}

let story;
const json = compiled.ToJson();
if (jsonOut !== null) {
  fs.writeFileSync(jsonOut, json);
}
story = direct ? compiled : new Story(json);

// ---- run -------------------------------------------------------------------
const events = [];
let runtimeError = null;

story.onError = (message, type) => {
  // type: 0 = Author, 1 = Warning, 2 = Error. Messages already carry a
  // "RUNTIME ERROR:" / "RUNTIME WARNING:" prefix.
  process.stderr.write(`${message}\n`);
  if (runtimeError === null) runtimeError = message;
};

function finish(code) {
  process.stdout.write(JSON.stringify({ events }) + "\n", () => process.exit(code));
}

function push(ev) {
  if (events.length >= MAX_EVENTS) {
    events.push({ error: "too many events" });
    process.stderr.write(`stopped after ${MAX_EVENTS} events\n`);
    finish(4);
    return false;
  }
  events.push(ev);
  return true;
}

function checkRuntime() {
  if (runtimeError !== null) {
    events.push({ error: runtimeError });
    finish(3);
    return false;
  }
  return true;
}

function run() {
  let nextChoice = 0;
  try {
    for (;;) {
      if (story.canContinue) {
        const text = story.Continue();
        if (!checkRuntime()) return;
        const tags = (story.currentTags || []).map(String);
        if (!push({ line: text === null ? "" : text, tags })) return;
        continue;
      }
      const current = story.currentChoices;
      if (current.length > 0) {
        let k = nextChoice < choices.length ? choices[nextChoice] : 0;
        nextChoice++;
        if (k >= current.length) k = k % current.length;
        const ev = {
          choices: current.map((c) => ({
            text: c.text,
            tags: (c.tags || []).map(String),
          })),
          chose: k,
        };
        if (!push(ev)) return;
        story.ChooseChoiceIndex(k);
        if (!checkRuntime()) return;
        continue;
      }
      if (!push({ end: true })) return;
      finish(0);
      return;
    }
  } catch (e) {
    process.stderr.write(`runtime exception: ${e && e.stack ? e.stack : e}\n`);
    events.push({ error: `exception: ${e && e.message ? e.message : String(e)}` });
    finish(3);
  }
}

run();
