#!/usr/bin/env bash
# Debian's Flask, PyMySQL and requests for the compare bench's replica of the prototype's Flask
# ingest service (perf/baseline/flask_ingest.py). Benchmarks only: no test or CI step needs them.
set -euo pipefail
if ! /usr/bin/python3 -c 'import flask, pymysql, requests' 2>/dev/null; then
  echo "[setup-flask-baseline] installing python3-flask python3-pymysql python3-requests with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3-flask python3-pymysql python3-requests >/dev/null
fi
/usr/bin/python3 -c 'import flask, pymysql, requests; print("flask", flask.__version__, "pymysql", pymysql.__version__, "requests", requests.__version__)'
