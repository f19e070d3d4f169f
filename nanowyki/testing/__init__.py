"""Test-program generation: random well-typed WYKI programs and their recorded transcripts.

- `genprog`: `wyki_programs()` (a Hypothesis strategy of program texts), `generate(chooser,
  size)`, and `program_of_lines(n, seed)` (deterministic programs of about n lines, for
  compiler benchmarks).
- `exprs`: typed expression generation (static bounds and constant folding as the checker
  does them, so every program is accepted).
- `record`: `record_transcript(program, actions)` plays a client script on the reference
  interpreter and writes down what the service did; `client_script` / `client_scripts()` make
  such scripts.
- `choice`: where decisions come from (a seed or Hypothesis draws); `types`: the generator's
  types and expressions.

Hypothesis is needed only by `wyki_programs()`, `client_scripts()` and `DrawChooser`.
"""
