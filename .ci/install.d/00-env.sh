# Environment for every later step. Sourced by .ci/run, so exports carry
# over. COGNITOJWT_LONG=1 runs the long load and soak tests that a plain
# "go test ./..." skips to stay fast (see README, Test).
export COGNITOJWT_LONG=1
