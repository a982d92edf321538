#!/usr/bin/env bash
# One entry point for the kit. Each command sets up what it needs first.
#
#   ./kit.sh lab     set up .venv (the course, pinned) and open the course in JupyterLab
#   ./kit.sh run     set up .venv and execute every lesson headless into output/notebooks/
#   ./kit.sh scale   add lesson 10's engines (DuckDB, pyarrow, Spark) to .venv
#   ./kit.sh test    add the engines and test tools to .venv, set up .venv-colab, run all tests in both
#   ./kit.sh pipeline MAPPING --out DIR [--notebook]   run the template pipeline on your data (lesson 09)
#   ./kit.sh setup   only set up .venv (the course: requirements.txt, which installs the kit itself)
#
# Environment variables: PYTHON (interpreter for .venv, default python3),
# COLAB_PYTHON (interpreter for .venv-colab, default: python3.13 if found).
set -euo pipefail
cd "$(dirname "$0")"
KIT=$(pwd)

say() { printf '\033[1m[kit]\033[0m %s\n' "$*" >&2; }

stamp_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# make_env DIR PYTHON BASE [EXTRA...]: DIR holds BASE's pins and the kit (editable; without dependencies when
# BASE does not install it, as in Colab). It is rebuilt from scratch when BASE or pyproject.toml changes; each
# EXTRA file is installed on top once per change of the requirements, so `lab` after `test` rebuilds nothing.
make_env() {
  local dir=$1 python=$2 base=$3; shift 3
  local want; want=$(stamp_of "$base" pyproject.toml)
  if [[ ! -x "$dir/bin/python" || ! -f "$dir/.kit-stamp" || "$(cat "$dir/.kit-stamp")" != "$want" ]]; then
    say "setting up $dir with $("$python" --version 2>&1) from $base"
    rm -rf "$dir"
    "$python" -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --upgrade pip
    "$dir/bin/python" -m pip install --quiet -r "$base"
    grep -qx -- '-e \.' "$base" || "$dir/bin/python" -m pip install --quiet --no-deps --editable .
    echo "$want" > "$dir/.kit-stamp"
  fi
  local extra mark
  for extra in "$@"; do
    mark="$dir/.kit-stamp-$(basename "$extra" .txt)"
    want=$(stamp_of requirements*.txt pyproject.toml)
    if [[ ! -f "$mark" || "$(cat "$mark")" != "$want" ]]; then
      say "adding $extra to $dir"
      "$dir/bin/python" -m pip install --quiet -r "$extra"
      echo "$want" > "$mark"
    fi
  done
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
  make_env .venv "$python" requirements.txt "$@"
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
    # the course only: lesson 10 runs when its engines are there (./kit.sh scale), else it is skipped and says why
    pinned_env
    exec .venv/bin/kit-lessons --out output/notebooks "${@:2}" ;;
  scale)
    pinned_env requirements-scale.txt
    say "lesson 10's engines are in .venv (Spark also needs Java 17 or newer)" ;;
  test)
    pinned_env requirements-dev.txt
    make_env .venv-colab "$(find_colab_python)" requirements-colab.txt
    say "pinned environment: helpers, doctests, every notebook against its stored outputs (nbval strict), the explorers in a real browser, fresh Colab-like and Binder-like environments"
    KIT_ENVIRONMENT_CHECKS=1 .venv/bin/python -m pytest tests helpers notebooks --nbval --nbval-current-env "${@:2}"
    say "Colab environment: helpers, doctests, and every notebook executed (nbval lax)"
    env -u KIT_REQUIRE_BROWSER .venv-colab/bin/python -m pytest tests helpers notebooks --nbval-lax --nbval-current-env "${@:2}"
    say "both environments passed" ;;
  pipeline)
    pinned_env
    args=("${@:2}")
    if [[ " ${args[*]} " != *" --notebook "* ]]; then exec .venv/bin/kit-pipeline "${args[@]}"; fi
    # --notebook: lesson 09 executed on the mapping (a course tool; the pipeline itself runs no notebooks)
    mapping="" out=""
    for ((i = 0; i < ${#args[@]}; i++)); do
      case "${args[i]}" in
        --out) out=${args[i + 1]:-}; i=$((i + 1)) ;;
        --notebook|--quiet) ;;
        --*) say "--notebook takes MAPPING --out DIR only, not ${args[i]}"; exit 2 ;;
        *) mapping=${args[i]} ;;
      esac
    done
    exec .venv/bin/kit-lessons 09 --mapping "$mapping" --out "$out" ;;
  help|-h|--help)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' ;;
  *)
    say "unknown command '$1'"
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2 ;;
esac
