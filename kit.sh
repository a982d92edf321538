#!/usr/bin/env bash
# One entry point for the kit. Each command sets up what it needs first.
#
#   ./kit.sh lab     set up .venv (pinned versions) and open the course in JupyterLab
#   ./kit.sh run     set up .venv and execute every lesson headless into output/notebooks/
#   ./kit.sh test    set up .venv and .venv-colab, then run all tests in both environments
#   ./kit.sh pipeline MAPPING --out DIR   set up .venv and run the template pipeline on your data (lesson 09)
#   ./kit.sh setup   only set up .venv
#
# Environment variables: PYTHON (interpreter for .venv, default python3),
# COLAB_PYTHON (interpreter for .venv-colab, default: python3.13 if found).
set -euo pipefail
cd "$(dirname "$0")"
KIT=$(pwd)

say() { printf '\033[1m[kit]\033[0m %s\n' "$*" >&2; }

stamp_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# make_env DIR PYTHON REQUIREMENTS...: create or refresh a virtual environment when its requirements change
make_env() {
  local dir=$1 python=$2; shift 2
  local want; want=$(stamp_of "$@")
  if [[ -x "$dir/bin/python" && -f "$dir/.kit-stamp" && "$(cat "$dir/.kit-stamp")" == "$want" ]]; then
    return 0
  fi
  say "setting up $dir with $("$python" --version 2>&1) from $*"
  rm -rf "$dir"
  "$python" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --upgrade pip
  local args=(); for r in "$@"; do args+=(-r "$r"); done
  "$dir/bin/python" -m pip install --quiet "${args[@]}"
  echo "$want" > "$dir/.kit-stamp"
}

find_colab_python() {
  if [[ -n "${COLAB_PYTHON:-}" ]]; then echo "$COLAB_PYTHON"; return; fi
  local candidate
  for candidate in python3.13 "$(pyenv root 2>/dev/null)"/versions/3.13*/bin/python3.13 /usr/bin/python3.13; do
    if "$candidate" --version >/dev/null 2>&1; then echo "$candidate"; return; fi
  done
  say "Python 3.13 (Colab's) not found: testing Colab's package versions on $(${PYTHON:-python3} --version)"
  echo "${PYTHON:-python3}"
}

pinned_env() {
  local python=${PYTHON:-python3}
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    say "the kit needs Python 3.11 or newer; $python is $("$python" --version 2>&1 || echo missing). Set PYTHON=/path/to/python3.11"
    exit 1
  fi
  make_env .venv "$python" requirements.txt requirements-scale.txt requirements-dev.txt
}

case "${1:-help}" in
  setup)
    pinned_env ;;
  lab)
    pinned_env
    extra=(); [[ $(id -u) == 0 ]] && extra+=(--allow-root)
    say "opening JupyterLab on lesson 00 (Ctrl-C to stop)"
    exec .venv/bin/jupyter lab "${extra[@]}" --ServerApp.root_dir="$KIT" \
      --LabApp.default_url=/lab/tree/notebooks/00_welcome_and_data.ipynb "${@:2}" ;;
  run)
    pinned_env
    mkdir -p output/notebooks
    failed=()
    for nb in notebooks/[0-9]*.ipynb; do
      say "executing $nb"
      .venv/bin/jupyter nbconvert --to notebook --execute --log-level=ERROR --output-dir output/notebooks "$nb" \
        || failed+=("$nb")
    done
    if (( ${#failed[@]} )); then say "FAILED: ${failed[*]} (the traceback is above)"; exit 1; fi
    say "executed lessons are in output/notebooks/" ;;
  test)
    pinned_env
    make_env .venv-colab "$(find_colab_python)" requirements-colab.txt
    say "pinned environment: helpers, doctests, every notebook against its stored outputs (nbval strict), the explorers in a real browser, fresh Colab-like and Binder-like environments"
    KIT_ENVIRONMENT_CHECKS=1 .venv/bin/python -m pytest tests helpers notebooks --nbval --nbval-current-env "${@:2}"
    say "Colab environment: helpers, doctests, and every notebook executed (nbval lax)"
    env -u KIT_REQUIRE_BROWSER .venv-colab/bin/python -m pytest tests helpers notebooks --nbval-lax --nbval-current-env "${@:2}"
    say "both environments passed" ;;
  pipeline)
    pinned_env
    exec .venv/bin/python -m helpers.pipeline "${@:2}" ;;
  help|-h|--help)
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' ;;
  *)
    say "unknown command '$1'"
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2 ;;
esac
