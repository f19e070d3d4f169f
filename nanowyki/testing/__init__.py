"""Test inputs: random well-typed WYKI programs, their recorded transcripts, and hostile inputs.

- `genprog`: `wyki_programs()` (a Hypothesis strategy of program texts), `generate(chooser,
  size, forms)`, and `program_of_lines(n, seed)` (deterministic programs of about n lines, for
  compiler benchmarks); `Forms` says which forms beyond a TCP session may appear (UDP
  services, timers, sleeps and timeouts, spinning session loops).
- `cases`: `wyki_cases()` / `random_case(seed)`: a program of every form, a client script that
  fits it (datagrams for a UDP service, `advance` steps) and the fuel to run it with: what the
  differential test on random programs draws.
- `exprs`: typed expression generation (static bounds and constant folding as the checker
  does them, so every program is accepted).
- `record`: `record_transcript(program, actions)` plays a client script on the reference
  interpreter and writes down what the service did (replies, datagrams, faults, closes);
  `client_script` / `client_scripts()` make such scripts.
- `choice`: where decisions come from (a seed or Hypothesis draws); `types`: the generator's
  types and expressions.
- `mutate`: hostile inputs for the compiler (random text, token soups, mutated programs), as
  Hypothesis strategies; `hostile`: hostile clients for a running service, given its host,
  port and protocol (tests/fuzz, docs/safety.md).

Hypothesis is needed only by `wyki_programs()`, `wyki_cases()`, `client_scripts()`,
`DrawChooser` and `mutate`.
"""
