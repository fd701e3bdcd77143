#!/usr/bin/env bash
# Installs MariaDB if absent, starts it if down, and creates the test database and a dedicated
# least-privilege test user over the root socket (root may accept socket logins only).
set -euo pipefail
DB_USER="${VIGIL_TEST_DB_USER:-vigil_test}"
DB_PASS="${VIGIL_TEST_DB_PASSWORD:-vigil_test}"

if [ ! -x /usr/sbin/mariadbd ]; then
  echo "[setup-mariadb] installing mariadb-server with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq mariadb-server >/dev/null
fi

if ! mysqladmin --protocol=socket -uroot ping >/dev/null 2>&1; then
  echo "[setup-mariadb] starting mariadbd"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  for _ in $(seq 1 60); do
    mysqladmin --protocol=socket -uroot ping >/dev/null 2>&1 && break
    sleep 0.5
  done
fi
mysqladmin --protocol=socket -uroot ping >/dev/null

# Tests create one throw-away database per suite, named vigil_t_*; the user may touch only those and `test`.
mysql --protocol=socket -uroot <<SQL
CREATE DATABASE IF NOT EXISTS test;
CREATE USER IF NOT EXISTS '${DB_USER}'@'localhost' IDENTIFIED BY '${DB_PASS}';
CREATE USER IF NOT EXISTS '${DB_USER}'@'127.0.0.1' IDENTIFIED BY '${DB_PASS}';
GRANT ALL PRIVILEGES ON \`vigil\_t\_%\`.* TO '${DB_USER}'@'localhost';
GRANT ALL PRIVILEGES ON \`vigil\_t\_%\`.* TO '${DB_USER}'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`test\`.* TO '${DB_USER}'@'localhost';
GRANT ALL PRIVILEGES ON \`test\`.* TO '${DB_USER}'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
echo "[setup-mariadb] ready: mysql://${DB_USER}:***@127.0.0.1:3306/test"
