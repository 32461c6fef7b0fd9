#!/usr/bin/env python3
"""The reference runtime for `bench/generate.sh`: llama.cpp (through the llama-cpp-python
package) on the same GGUF weights, measured as `showrunner bench generate` measures its own
throughput: PROMPT tokens of the same text read at once, then TOKENS generated one by one,
greedily, with no stop. Prints JSON.

    python3 bench/llama_cpp_reference.py WEIGHTS.gguf TEXT_FILE PROMPT TOKENS THREADS
"""
import json
import sys
import time

from llama_cpp import Llama  # pip install llama-cpp-python (built from source: no wheel on PyPI)


def main():
    weights, text_file, prompt, tokens, threads = sys.argv[1:6]
    prompt, tokens, threads = int(prompt), int(tokens), int(threads)
    llm = Llama(model_path=weights, n_ctx=2048, n_threads=threads, n_threads_batch=threads,
                n_batch=512, verbose=False, seed=1)
    ids = llm.tokenize(open(text_file, encoding="utf-8").read().encode(), add_bos=False)
    while len(ids) < prompt:
        ids += ids[: prompt - len(ids)]
    ids = ids[:prompt]
    best = None
    for _ in range(3):
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(ids)
        read_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(tokens):
            nxt = llm.sample(temp=0.0)
            llm.eval([nxt])
        gen_s = time.perf_counter() - t0
        run = {"read_tokens_per_s": prompt / read_s, "generate_tokens_per_s": tokens / gen_s}
        if best is None or run["generate_tokens_per_s"] > best["generate_tokens_per_s"]:
            best = run
    import llama_cpp
    print(json.dumps({"runtime": f"llama.cpp via llama-cpp-python {llama_cpp.__version__}",
                      "threads": threads, "prompt_tokens": prompt, "tokens": tokens, **best}))


if __name__ == "__main__":
    main()
