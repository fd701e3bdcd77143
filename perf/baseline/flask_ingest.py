# The prototype's ingest service as it was built: Flask, one synchronous worker (the development
# server with threads off, one request at a time), and per chunk:
# - request.get_json(), check the chunk fields;
# - requests.post to the predictor service (a new TCP connection per call, as requests.post makes),
#   awaited; the predictor is perf/baseline/predictor-server.ts, Vigil's own model and detection
#   path, so only the ingest tier's design and language differ from the Node replica beside it;
# - a NEW MySQL connection (PyMySQL), ONE INSERT of the whole chunk (samples as JSON text) in
#   autocommit, close;
# - only then answer 201.
# Env: BASELINE_MYSQL_URL (mysql://user:pass@host:port/db), BASELINE_PREDICTOR_URL, BASELINE_PORT.
# Prints "ready http://127.0.0.1:PORT" on stdout once it listens. Debian packages:
# scripts/setup-flask-baseline.sh.
import json
import logging
import os
import sys
from urllib.parse import unquote, urlparse

import pymysql
import requests
from flask import Flask, request

url = urlparse(os.environ["BASELINE_MYSQL_URL"])
DB = dict(
    host=url.hostname,
    port=url.port or 3306,
    user=unquote(url.username or ""),
    password=unquote(url.password or ""),
    database=url.path.lstrip("/"),
    autocommit=True,
)
PREDICTOR = os.environ["BASELINE_PREDICTOR_URL"]

setup = pymysql.connect(**DB)
with setup.cursor() as cur:
    cur.execute(
        """CREATE TABLE IF NOT EXISTS baseline_eeg_chunks (
  id BIGINT AUTO_INCREMENT PRIMARY KEY, event_id VARCHAR(255), patient_id VARCHAR(64), device_id VARCHAR(64),
  start_time VARCHAR(40), sample_rate_hz DOUBLE, channels TEXT, samples LONGTEXT, probability DOUBLE)"""
    )
setup.close()

app = Flask(__name__)
# No per-request access log line: it would cost the replica time the prototype's deployment did not log.
logging.getLogger("werkzeug").setLevel(logging.ERROR)


@app.post("/")
def ingest():
    chunk = request.get_json(force=True, silent=True)
    if chunk is None:
        return {"error": "invalid JSON"}, 400
    samples, channels, rate = chunk.get("samples"), chunk.get("channels"), chunk.get("sampleRateHz")
    if not isinstance(samples, list) or not isinstance(channels, list) or not isinstance(rate, (int, float)):
        return {"error": "missing fields"}, 400
    r = requests.post(f"{PREDICTOR}/predict", json={"samples": samples, "sampleRateHz": rate})
    if r.status_code != 200:
        return {"error": f"predictor answered {r.status_code}"}, 500
    probability = r.json()["probability"]
    db = pymysql.connect(**DB)
    try:
        with db.cursor() as cur:
            cur.execute(
                "INSERT INTO baseline_eeg_chunks (event_id, patient_id, device_id, start_time, sample_rate_hz, channels, samples, probability) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    request.headers.get("ce-id", ""),
                    chunk.get("patientId"),
                    chunk.get("deviceId"),
                    chunk.get("startTime"),
                    rate,
                    ",".join(channels),
                    json.dumps(samples),
                    probability,
                ),
            )
    finally:
        db.close()
    return {"probability": probability}, 201


if __name__ == "__main__":
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", int(os.environ.get("BASELINE_PORT", "0")), app, threaded=False)
    print(f"ready http://127.0.0.1:{server.server_port}", flush=True)
    sys.stdout.flush()
    server.serve_forever()
