"""Test inputs: random well-typed WYKI programs, their recorded transcripts, and hostile inputs.

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
- `mutate`: hostile inputs for the compiler (random text, token soups, mutated programs), as
  Hypothesis strategies; `hostile`: hostile clients for a running service, given its host,
  port and protocol (tests/fuzz, docs/safety.md).

Hypothesis is needed only by `wyki_programs()`, `client_scripts()`, `DrawChooser` and `mutate`.
"""
