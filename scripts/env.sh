# Source me: the environment every rvm-edge command and test runs in (dev/CI).
RVM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export RVM_ROOT
export PATH="$RVM_ROOT/.venv/bin:$RVM_ROOT/node_modules/.bin:$PATH"
export YOLO_OFFLINE=1
export YOLO_CONFIG_DIR="$RVM_ROOT/var/yolo"
export PYTHONDONTWRITEBYTECODE=1
