#!/usr/bin/env bash
# Real STOMP brokers for the integration tests, all on 127.0.0.1:
#   a RabbitMQ 3.10 cluster of three nodes (rabbit1..3@localhost, STOMP 61613-61615,
#   STOMP over TLS 61623-61625, STOMP over WebSocket ws://127.0.0.1:15674-15676/ws and
#   wss://localhost:15684-15686/ws through the rabbitmq_web_stomp plugin) and ActiveMQ 5.17 (STOMP 61620, STOMP over TLS 61621,
#   STOMP over TLS with a client certificate required 61622). The TLS files (a local CA,
#   server and client certificates) are made once, under $STOMPER_BROKERS_DIR/tls.
#   See docs/brokers.md.
#
# Usage: scripts/brokers.sh start|stop|status|kill NODE|pause NODE|resume NODE|restart NODE
#        scripts/brokers.sh restart-rabbits   (starts every RabbitMQ node that is down, with its
#        data, all at once: after all three were killed, one node alone would wait for the others)
#        scripts/brokers.sh close-connections RABBIT_NODE   (rabbitmqctl close_all_connections:
#        the node ends every STOMP session with an ERROR frame and stays up)
#        scripts/brokers.sh settle-queue QUEUE   (waits until the quorum queue QUEUE, vhost /, has a leader and
#        three members, each registered on disk and caught up: before a fault, so that it hits a healthy queue)
#        NODE = rabbit1 | rabbit2 | rabbit3 | activemq
#
# All state (configs, mnesia, logs, pid files, Erlang cookie) lives under one folder,
# $STOMPER_BROKERS_DIR (default: <repo>/artifacts/brokers). Other overrides:
#   STOMPER_BROKERS_TIMEOUT        seconds `start`/`restart`/`settle-queue` may take (default 180)
#   STOMPER_BROKERS_NO_INSTALL=1   never run apt-get; fail if a broker is missing
#   STOMPER_RABBIT_STOMP_PORTS     "61613 61614 61615"
#   STOMPER_RABBIT_AMQP_PORTS      "5672 5673 5674"
#   STOMPER_RABBIT_DIST_PORTS      "25672 25673 25674"
#   STOMPER_RABBIT_NODE_PREFIX     ""  (Erlang node names are <prefix>rabbitN@localhost:
#                                  a prefix and other ports let two checkouts' brokers run at once)
#   STOMPER_RABBIT_STOMP_TLS_PORTS "61623 61624 61625"
#   STOMPER_RABBIT_WS_PORTS        "15674 15675 15676" (Web-STOMP, path /ws)
#   STOMPER_RABBIT_WSS_PORTS       "15684 15685 15686" (Web-STOMP over TLS, path /ws)
#   STOMPER_ACTIVEMQ_STOMP_PORT    61620
#   STOMPER_ACTIVEMQ_STOMP_TLS_PORT  61621
#   STOMPER_ACTIVEMQ_STOMP_MTLS_PORT 61622 (a client certificate is required)
#   STOMPER_ACTIVEMQ_OPENWIRE_PORT 61616
#   STOMPER_LOGIN / STOMPER_PASSCODE   credentials the readiness probe uses (guest/guest)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${STOMPER_BROKERS_DIR:-$ROOT/artifacts/brokers}
TIMEOUT=${STOMPER_BROKERS_TIMEOUT:-180}
LOGIN=${STOMPER_LOGIN:-guest}
PASSCODE=${STOMPER_PASSCODE:-guest}
read -r -a STOMP_PORTS <<<"${STOMPER_RABBIT_STOMP_PORTS:-61613 61614 61615}"
read -r -a AMQP_PORTS <<<"${STOMPER_RABBIT_AMQP_PORTS:-5672 5673 5674}"
read -r -a DIST_PORTS <<<"${STOMPER_RABBIT_DIST_PORTS:-25672 25673 25674}"
read -r -a TLS_PORTS <<<"${STOMPER_RABBIT_STOMP_TLS_PORTS:-61623 61624 61625}"
read -r -a WS_PORTS <<<"${STOMPER_RABBIT_WS_PORTS:-15674 15675 15676}"
read -r -a WSS_PORTS <<<"${STOMPER_RABBIT_WSS_PORTS:-15684 15685 15686}"
AMQ_STOMP_PORT=${STOMPER_ACTIVEMQ_STOMP_PORT:-61620}
AMQ_TLS_PORT=${STOMPER_ACTIVEMQ_STOMP_TLS_PORT:-61621}
AMQ_MTLS_PORT=${STOMPER_ACTIVEMQ_STOMP_MTLS_PORT:-61622}
AMQ_OPENWIRE_PORT=${STOMPER_ACTIVEMQ_OPENWIRE_PORT:-61616}
TLS=$DIR/tls
# Guards only the Java key and trust stores (made from the PEM files beside them); the
# private keys themselves are PEM files anyone in group rabbitmq may read.
STORE_PASS=stomper
RABBIT_NODES=(rabbit1 rabbit2 rabbit3)
NODE_PREFIX=${STOMPER_RABBIT_NODE_PREFIX:-}
RABBIT_LIB=/usr/lib/rabbitmq/bin
AMQ_HOME=/usr/share/activemq
# epmd (the Erlang port mapper) and the Erlang distribution stay on loopback.
export ERL_EPMD_ADDRESS=127.0.0.1

say() { printf 'brokers: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- helpers

idx_of() { case $1 in rabbit1) echo 0 ;; rabbit2) echo 1 ;; rabbit3) echo 2 ;; *) return 1 ;; esac; }
stomp_port_of() { if [ "$1" = activemq ]; then echo "$AMQ_STOMP_PORT"; else echo "${STOMP_PORTS[$(idx_of "$1")]}"; fi; }
tls_ports_of() { if [ "$1" = activemq ]; then echo "$AMQ_TLS_PORT $AMQ_MTLS_PORT"; else echo "${TLS_PORTS[$(idx_of "$1")]}"; fi; }
ws_ports_of() { if [ "$1" = activemq ]; then :; else echo "${WS_PORTS[$(idx_of "$1")]} ${WSS_PORTS[$(idx_of "$1")]}"; fi; }
erl_name() { echo "$NODE_PREFIX$1@localhost"; }   # rabbitN -> its Erlang node name
check_node() { case ${1:-} in rabbit1|rabbit2|rabbit3|activemq) ;; *) die "unknown node '${1:-}' (rabbit1, rabbit2, rabbit3 or activemq)" ;; esac; }

# Sends CONNECT and succeeds only when the first frame back is CONNECTED.
stomp_probe() { # port [seconds]
  timeout "${2:-3}" bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "CONNECT\naccept-version:1.0,1.1,1.2\nhost:/\nlogin:%s\npasscode:%s\n\n\0" "$2" "$3" >&3
    IFS= read -r -d "" -u 3 frame || exit 1
    printf "DISCONNECT\n\n\0" >&3 2>/dev/null || true
    exec 3>&-
    frame=${frame#"${frame%%[!$'"'"'\r\n'"'"']*}"}
    [[ $frame == CONNECTED* ]]
  ' probe "$1" "$LOGIN" "$PASSCODE" 2>/dev/null
}

# The same over TLS: the server's certificate must chain to ca.pem and name 127.0.0.1;
# the client certificate goes along, so the listener that requires one answers too.
tls_probe() { # port [seconds]
  timeout "${2:-3}" bash -c '
    # s_client gets its own deadline: a broker that stalls the handshake never reads the
    # pipe, so closing it would not end s_client.
    coproc S { exec timeout "$5" openssl s_client -connect "127.0.0.1:$1" -noservername \
      -CAfile "$4/ca.pem" -verify_ip 127.0.0.1 -verify_return_error \
      -cert "$4/client.pem" -key "$4/client-key.pem" -quiet -no_ign_eof -nocommands 2>/dev/null; }
    trap "kill $S_PID 2>/dev/null" EXIT
    printf "CONNECT\naccept-version:1.0,1.1,1.2\nhost:/\nlogin:%s\npasscode:%s\n\n\0" "$2" "$3" >&"${S[1]}"
    IFS= read -r -d "" -u "${S[0]}" frame || exit 1
    printf "DISCONNECT\n\n\0" >&"${S[1]}" 2>/dev/null || true
    frame=${frame#"${frame%%[!$'"'"'\r\n'"'"']*}"}
    [[ $frame == CONNECTED* ]]
  ' probe "$1" "$LOGIN" "$PASSCODE" "$TLS" "${2:-3}" 2>/dev/null
}

port_in_use() { timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' x "$1" 2>/dev/null; }

# Prints the first of a node's STOMP ports (plain, then TLS) that gives no CONNECTED;
# fails (prints nothing) when all of them answer.
unready_port() { # node seconds
  local p
  stomp_probe "$(stomp_port_of "$1")" "$2" || { stomp_port_of "$1"; return 0; }
  for p in $(tls_ports_of "$1"); do tls_probe "$p" "$2" || { echo "$p"; return 0; }; done
  # Web-STOMP starts with the node's plugins, after the STOMP listeners: its ports must take connections too.
  for p in $(ws_ports_of "$1"); do port_in_use "$p" || { echo "$p"; return 0; }; done
  return 1
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
proc_state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true; }  # R S D T Z ...

cmdline_of() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline"; }

# The OS pid(s) of a node: the pid file is checked against the process itself, and
# /proc is scanned as a fallback (a node killed before it wrote its pid file).
node_pids() {
  local node=$1 pid p
  if [ "$node" = activemq ]; then
    is_node() { local c; c=$(cmdline_of "$1") || return 1; [[ $c == *java*"-Dactivemq.base=$DIR/activemq "*activemq.jar* ]]; }
    pid=$(cat "$DIR/activemq/activemq.pid" 2>/dev/null || true)
  else
    # beam.smp gets its node name at run time, not on its command line: match the
    # environment this script gave it (this checkout's data folder for that node).
    is_node() {
      local c e; c=$(cmdline_of "$1") || return 1; [[ $c == *beam.smp* ]] || return 1
      e=$(tr '\0' '\n' 2>/dev/null <"/proc/$1/environ") || return 1
      [[ $'\n'$e$'\n' == *$'\n'"RABBITMQ_MNESIA_BASE=$DIR/$node/mnesia"$'\n'* ]]
    }
    pid=$(cat "$DIR/$node/$node.pid" 2>/dev/null || true)
  fi
  if alive "$pid" && is_node "$pid"; then echo "$pid"; return 0; fi
  for p in /proc/[0-9]*; do
    is_node "${p#/proc/}" && echo "${p#/proc/}"
  done
  return 0
}

node_log() { if [ "$1" = activemq ]; then echo "$DIR/activemq/log/activemq.log"; else echo "$DIR/$1/log/$(erl_name "$1").log"; fi; }

show_tail() {
  local node=$1 f
  for f in "$(node_log "$node")" "$DIR/$node/stdout.log"; do
    [ -s "$f" ] || continue
    printf -- '----- last 40 lines of %s -----\n' "$f" >&2
    tail -n 40 "$f" >&2
  done
}
fail_node() { say "ERROR: $1: $2"; show_tail "$1"; exit 1; }

cookie() { cat "$DIR/erlang.cookie"; }
ctl() { # rabbitmqctl as root, always with the shared cookie
  HOME="$DIR/cli-home" "$RABBIT_LIB/rabbitmqctl" --erlang-cookie "$(cookie)" "$@"
}

# ---------------------------------------------------------------- install

install_if_missing() {
  local missing=()
  [ -x "$RABBIT_LIB/rabbitmq-server" ] || missing+=(rabbitmq-server)
  [ -f "$AMQ_HOME/bin/activemq.jar" ] || missing+=(activemq)
  # Both come with the brokers' packages (openssl with rabbitmq-server, keytool with
  # the JRE ActiveMQ needs); checked anyway, since the TLS files need them.
  command -v openssl >/dev/null || missing+=(openssl)
  command -v keytool >/dev/null || missing+=(default-jre-headless)
  [ ${#missing[@]} -eq 0 ] && return
  [ "${STOMPER_BROKERS_NO_INSTALL:-}" = 1 ] && die "missing ${missing[*]} and STOMPER_BROKERS_NO_INSTALL=1"
  [ "$(id -u)" = 0 ] || die "missing ${missing[*]}: install them as root (apt-get install rabbitmq-server activemq)"
  say "installing ${missing[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "${missing[@]}" >"$DIR/apt.log" 2>&1; then
    apt-get update >>"$DIR/apt.log" 2>&1 || true
    apt-get install -y --no-install-recommends "${missing[@]}" >>"$DIR/apt.log" 2>&1 ||
      { tail -n 40 "$DIR/apt.log" >&2; die "apt-get install ${missing[*]} failed"; }
  fi
}

# ---------------------------------------------------------------- TLS files

TLS_PEM=(ca.pem server.pem server-key.pem client.pem client-key.pem other-ca.pem)
TLS_STORES=(server.p12 truststore.p12)

# True when every file is there and no certificate expires within a day.
tls_files_ok() {
  local f
  for f in "${TLS_PEM[@]}" "${TLS_STORES[@]}"; do [ -s "$TLS/$f" ] || return 1; done
  for f in ca.pem server.pem client.pem other-ca.pem; do
    openssl x509 -in "$TLS/$f" -noout -checkend 86400 >/dev/null 2>&1 || return 1
  done
}

# A self-signed CA: $1 file stem (key $1-key.pem, certificate $1.pem), $2 its name.
tls_ca() {
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1-key.pem" 2>/dev/null
  openssl req -x509 -new -key "$1-key.pem" -subj "/CN=$2" -days 825 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$1.pem"
}

# A leaf signed by ca.pem: $1 file stem, $2 common name, $3 extensions (one per line).
tls_leaf() {
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1-key.pem" 2>/dev/null
  openssl req -new -key "$1-key.pem" -subj "/CN=$2" -out "$1.csr"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n%s\n' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -set_serial "0x$(openssl rand -hex 16)" \
    -days 825 -sha256 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

# Makes the CA, the certificates and ActiveMQ's stores unless all are there and valid.
# Prints "new" when it made them (brokers already running serve the old ones).
ensure_tls_files() {
  tls_files_ok && return 0
  say "making the TLS files in $TLS"
  rm -rf "$TLS.new"; mkdir -p "$TLS.new"
  (
    cd "$TLS.new"
    tls_ca ca "Stomper test CA"
    tls_leaf server localhost $'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost'
    tls_leaf client stomper-client 'extendedKeyUsage=clientAuth'
    # A root nothing here is signed by: a client trusting only it must refuse the brokers.
    tls_ca other-ca "Stomper unrelated CA"
    rm -f other-ca-key.pem
    openssl pkcs12 -export -in server.pem -inkey server-key.pem -certfile ca.pem -name server \
      -passout "pass:$STORE_PASS" -out server.p12
    keytool -importcert -noprompt -alias stomper-ca -file ca.pem -keystore truststore.p12 \
      -storetype PKCS12 -storepass "$STORE_PASS" >/dev/null
  ) >"$DIR/tls.log" 2>&1 || { tail -n 20 "$DIR/tls.log" >&2; die "making the TLS files failed (see $DIR/tls.log)"; }
  # The nodes may drop to the rabbitmq user: the group may read the keys, others may not.
  chown -R root:rabbitmq "$TLS.new"
  chmod 750 "$TLS.new"; chmod 644 "$TLS.new"/*.pem; chmod 640 "$TLS.new"/*-key.pem "$TLS.new"/*.p12
  rm -rf "$TLS"; mv "$TLS.new" "$TLS"
  echo new
}

# ---------------------------------------------------------------- RabbitMQ

prepare_common() {
  mkdir -p "$DIR/rabbitmq-home" "$DIR/cli-home"
  if [ ! -s "$DIR/erlang.cookie" ]; then
    (umask 077; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr '0-9a-f' 'A-P' >"$DIR/erlang.cookie")
  fi
  # The servers (user rabbitmq) and the CLI (root) read the same cookie from their HOME.
  install -m 400 -o rabbitmq -g rabbitmq "$DIR/erlang.cookie" "$DIR/rabbitmq-home/.erlang.cookie"
  install -m 400 "$DIR/erlang.cookie" "$DIR/cli-home/.erlang.cookie"
  chown rabbitmq:rabbitmq "$DIR/rabbitmq-home"
  chmod 755 "$DIR"
}

start_rabbit() { # node [fresh]
  local node=$1 fresh=${2:-} i d
  i=$(idx_of "$node"); d=$DIR/$node
  local p
  for p in "${STOMP_PORTS[$i]}" "${TLS_PORTS[$i]}" "${WS_PORTS[$i]}" "${WSS_PORTS[$i]}" "${AMQP_PORTS[$i]}" "${DIST_PORTS[$i]}"; do
    port_in_use "$p" && die "$node: port 127.0.0.1:$p is already in use by another process (another checkout's brokers? stop them, or see the port overrides in scripts/brokers.sh)"
  done
  if epmd -names 2>/dev/null | grep -q "^name $NODE_PREFIX$node at"; then
    die "$node: a node named $(erl_name "$node") is already registered with epmd (another checkout's brokers? stop them, or see STOMPER_RABBIT_NODE_PREFIX in scripts/brokers.sh)"
  fi
  [ -n "$fresh" ] && rm -rf "$d/mnesia"
  mkdir -p "$d/mnesia" "$d/log"
  # One run per log file, so a failure shows this run's lines (the previous run: *.1).
  local log; log=$(node_log "$node")
  [ -f "$log" ] && mv -f "$log" "$log.1"
  cat >"$d/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:${AMQP_PORTS[$i]}
stomp.listeners.tcp.1 = 127.0.0.1:${STOMP_PORTS[$i]}
stomp.listeners.ssl.1 = 127.0.0.1:${TLS_PORTS[$i]}
# TLS for the STOMP listener above (no AMQP TLS listener is opened). A client
# certificate is not asked for: ActiveMQ's second listener is the mutual-TLS one.
ssl_options.cacertfile = $TLS/ca.pem
ssl_options.certfile = $TLS/server.pem
ssl_options.keyfile = $TLS/server-key.pem
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
ssl_options.versions.1 = tlsv1.3
ssl_options.versions.2 = tlsv1.2
# STOMP over WebSocket (rabbitmq_web_stomp), path /ws, plain and over TLS with the same files.
web_stomp.tcp.ip = 127.0.0.1
web_stomp.tcp.port = ${WS_PORTS[$i]}
web_stomp.ssl.ip = 127.0.0.1
web_stomp.ssl.port = ${WSS_PORTS[$i]}
web_stomp.ssl.cacertfile = $TLS/ca.pem
web_stomp.ssl.certfile = $TLS/server.pem
web_stomp.ssl.keyfile = $TLS/server-key.pem
loopback_users = none
# A paused (SIGSTOP) node can leave the others with a partition: heal it by itself.
cluster_partition_handling = autoheal
log.file.level = info
log.console = false
EOF
  echo '[rabbitmq_stomp,rabbitmq_web_stomp].' >"$d/enabled_plugins"
  : >"$d/rabbitmq-env.conf"
  rm -f "$d/$node.pid"
  chown -R rabbitmq:rabbitmq "$d"
  # The nodes run as root, like this script: a checkout may live under a folder only
  # root may enter (mktemp -d makes them 0700), where the rabbitmq user cannot reach
  # its own state.
  (
    cd "$d"
    exec setsid env -i \
      PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 LC_ALL=C.UTF-8 \
      HOME="$DIR/rabbitmq-home" \
      ERL_EPMD_ADDRESS=127.0.0.1 \
      RABBITMQ_NODENAME="$(erl_name "$node")" \
      RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
      RABBITMQ_NODE_PORT="${AMQP_PORTS[$i]}" \
      RABBITMQ_DIST_PORT="${DIST_PORTS[$i]}" \
      RABBITMQ_CONF_ENV_FILE="$d/rabbitmq-env.conf" \
      RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" \
      RABBITMQ_CONFIG_FILES="$d/conf.d" \
      RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config" \
      RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" \
      RABBITMQ_MNESIA_BASE="$d/mnesia" \
      RABBITMQ_LOG_BASE="$d/log" \
      RABBITMQ_PID_FILE="$d/$node.pid" \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
      "$RABBIT_LIB/rabbitmq-server"
  ) </dev/null >"$d/stdout.log" 2>&1 9>&- &
  echo $! >"$d/launcher.pid"
}

# Nodes of the cluster that $1 sees running (empty when it does not answer).
running_nodes_seen_by() {
  ctl -n "$(erl_name "$1")" -q cluster_status --formatter json 2>/dev/null |
    grep -o '"running_nodes":\[[^]]*\]' | grep -o '[^",[]*@localhost' || true
}

# Joins $1 to the cluster unless it is already in it (rabbit2 and rabbit3 join rabbit1).
ensure_joined() {
  local node=$1 target=rabbit1 seen
  [ "$node" = rabbit1 ] && target=rabbit2
  # The target must be running; fall back to any other running node.
  if [ -z "$(node_pids "$target")" ]; then
    for t in "${RABBIT_NODES[@]}"; do [ "$t" != "$node" ] && [ -n "$(node_pids "$t")" ] && { target=$t; break; }; done
  fi
  [ -n "$(node_pids "$target")" ] || return 0   # a cluster of one: nothing to join
  seen=$(running_nodes_seen_by "$target")
  grep -qxF "$(erl_name "$node")" <<<"$seen" && return 0
  say "joining $node to the cluster of $target"
  { ctl -n "$(erl_name "$node")" stop_app &&
    ctl -n "$(erl_name "$node")" join_cluster "$(erl_name "$target")" &&
    ctl -n "$(erl_name "$node")" start_app; } >>"$DIR/$node/cluster.log" 2>&1 ||
    { tail -n 20 "$DIR/$node/cluster.log" >&2; fail_node "$node" "could not join the cluster of $target"; }
}

stop_rabbit() { # node: graceful, then kill -9 whatever remains
  local node=$1 pids
  pids=$(node_pids "$node")
  [ -n "$pids" ] || return 0
  for p in $pids; do kill -CONT "$p" 2>/dev/null || true; done
  HOME="$DIR/cli-home" timeout 30 "$RABBIT_LIB/rabbitmqctl" --erlang-cookie "$(cookie)" \
    -n "$(erl_name "$node")" -q stop >/dev/null 2>&1 || true
  for _ in $(seq 50); do
    pids=$(node_pids "$node"); [ -z "$pids" ] && break; sleep 0.2
  done
  pids=$(node_pids "$node")
  [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
  rm -f "$DIR/$node/$node.pid"
}

# ---------------------------------------------------------------- ActiveMQ

start_activemq() { # [fresh]
  local d=$DIR/activemq p
  for p in "$AMQ_STOMP_PORT" "$AMQ_TLS_PORT" "$AMQ_MTLS_PORT" "$AMQ_OPENWIRE_PORT"; do
    port_in_use "$p" && die "activemq: port 127.0.0.1:$p is already in use by another process (another checkout's brokers? stop them, or see the port overrides in scripts/brokers.sh)"
  done
  [ -n "${1:-}" ] && rm -rf "$d/kahadb" "$d/data"
  mkdir -p "$d/conf" "$d/data" "$d/log" "$d/tmp"
  [ -f "$d/log/activemq.log" ] && mv -f "$d/log/activemq.log" "$d/log/activemq.log.1"
  cat >"$d/conf/log4j.properties" <<EOF
log4j.rootLogger=INFO, logfile
log4j.logger.org.springframework=WARN
log4j.logger.org.apache.xbean=WARN
log4j.appender.logfile=org.apache.log4j.RollingFileAppender
log4j.appender.logfile.file=$d/log/activemq.log
log4j.appender.logfile.maxFileSize=1024KB
log4j.appender.logfile.maxBackupIndex=3
log4j.appender.logfile.layout=org.apache.log4j.PatternLayout
log4j.appender.logfile.layout.ConversionPattern=%d | %-5p | %m | %c | %t%n
EOF
  cat >"$d/conf/activemq.xml" <<EOF
<beans xmlns="http://www.springframework.org/schema/beans"
       xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
       http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <bean class="org.springframework.beans.factory.config.PropertyPlaceholderConfigurer"/>
  <broker xmlns="http://activemq.apache.org/schema/core" useJmx="false" brokerName="stomper"
          dataDirectory="$d/data">
    <persistenceAdapter>
      <kahaDB directory="$d/kahadb"/>
    </persistenceAdapter>
    <sslContext>
      <sslContext keyStore="file:$TLS/server.p12" keyStoreType="pkcs12" keyStorePassword="$STORE_PASS"
                  trustStore="file:$TLS/truststore.p12" trustStoreType="pkcs12" trustStorePassword="$STORE_PASS"/>
    </sslContext>
    <transportConnectors>
      <transportConnector name="openwire" uri="tcp://127.0.0.1:$AMQ_OPENWIRE_PORT"/>
      <transportConnector name="stomp" uri="stomp://127.0.0.1:$AMQ_STOMP_PORT"/>
      <transportConnector name="stomp+ssl" uri="stomp+ssl://127.0.0.1:$AMQ_TLS_PORT"/>
      <transportConnector name="stomp+ssl+clientauth" uri="stomp+ssl://127.0.0.1:$AMQ_MTLS_PORT?transport.needClientAuth=true"/>
    </transportConnectors>
  </broker>
</beans>
EOF
  (
    cd "$d"
    exec setsid java -Xms64m -Xmx512m -Djava.awt.headless=true \
      -Djava.io.tmpdir="$d/tmp" -Dlog4j.configuration="file:$d/conf/log4j.properties" \
      -Dactivemq.home="$AMQ_HOME" -Dactivemq.base="$d" \
      -Dactivemq.conf="$d/conf" -Dactivemq.data="$d/log" \
      -jar "$AMQ_HOME/bin/activemq.jar" start "xbean:file:$d/conf/activemq.xml"
  ) </dev/null >"$d/stdout.log" 2>&1 9>&- &
  echo $! >"$d/activemq.pid"
}

stop_activemq() {
  local pids
  pids=$(node_pids activemq)
  [ -n "$pids" ] || return 0
  kill -CONT $pids 2>/dev/null || true
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 75); do
    [ -z "$(node_pids activemq)" ] && break; sleep 0.2
  done
  pids=$(node_pids activemq)
  [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
  rm -f "$DIR/activemq/activemq.pid"
}

# ---------------------------------------------------------------- waiting

# Waits until every named node answers CONNECT with CONNECTED on each of its STOMP
# ports (plain and TLS), failing early when a node's process is gone and late (with its
# log) when the deadline passes.
wait_ready() { # deadline node...
  local deadline=$1; shift
  local pending=("$@") still node port first_port=
  while :; do
    still=()
    for node in "${pending[@]}"; do
      port=$(unready_port "$node" 3) || continue
      if [ -z "$(node_pids "$node")" ] && ! alive "$(cat "$DIR/$node/launcher.pid" 2>/dev/null || true)"; then
        fail_node "$node" "its process exited before it answered STOMP CONNECT on 127.0.0.1:$port"
      fi
      [ ${#still[@]} -eq 0 ] && first_port=$port
      still+=("$node")
    done
    [ ${#still[@]} -eq 0 ] && return 0
    if [ "$(date +%s)" -ge "$deadline" ]; then
      fail_node "${still[0]}" "no CONNECTED on 127.0.0.1:$first_port within ${TIMEOUT}s (also waiting for: ${still[*]})"
    fi
    pending=("${still[@]}")
    sleep 1
  done
}

# Waits until every node sees all three running (a healed partition included).
wait_cluster() { # deadline
  local node seen ok
  while :; do
    ok=1
    for node in "${RABBIT_NODES[@]}"; do
      seen=$(running_nodes_seen_by "$node")
      [ "$(grep -c . <<<"$seen")" -eq 3 ] || { ok=; break; }
    done
    [ -n "$ok" ] && return 0
    [ "$(date +%s)" -ge "$1" ] && fail_node "$node" "the cluster does not have 3 running nodes within ${TIMEOUT}s ($node sees: $(echo $seen))"
    sleep 1
  done
}

# A node whose process is alive and answers CONNECT (a stopped one is resumed first).
healthy() {
  local node=$1 pids p
  pids=$(node_pids "$node")
  [ -n "$pids" ] || return 1
  for p in $pids; do [ "$(proc_state "$p")" = T ] && kill -CONT "$p"; done
  ! unready_port "$node" 5 >/dev/null
}


# ---------------------------------------------------------------- quorum queues

# What one running RabbitMQ node knows of quorum queue $1 (vhost /), one line each:
#   member NODE STATE LOG-INDEX COMMIT-INDEX   (each member, as its Ra server reports it)
#   disk NODE ok|no_record|not_registered|unreachable
# "disk ok": the node holds the queue's durable record and its Ra member's registration,
# and has just flushed both to disk (Mnesia's log and Ra's DETS registry). RabbitMQ flushes
# them on its own a few seconds after the declaration; a node killed before that restarts
# without the queue, or with a blank member, and when every node does the queue is gone
# (not_found) or never elects a leader. The name travels as bytes, never as Erlang source.
queue_report() {
  local node bytes nodes n out
  bytes=$(printf '%s' "$1" | od -An -tu1 | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
  nodes=$(for n in "${RABBIT_NODES[@]}"; do printf "'%s'," "$(erl_name "$n")"; done); nodes=${nodes%,}
  for node in "${RABBIT_NODES[@]}"; do
    [ -n "$(node_pids "$node")" ] || continue
    [ "$(proc_state "$(node_pids "$node" | head -n 1)")" = T ] && continue
    out=$(timeout 30 env HOME="$DIR/cli-home" "$RABBIT_LIB/rabbitmqctl" --erlang-cookie "$(cookie)" \
      -n "$(erl_name "$node")" -q eval "
      Name = list_to_binary([$bytes]),
      Q = rabbit_misc:r(<<\"/\">>, queue, Name),
      case rabbit_quorum_queue:status(<<\"/\">>, Name) of
        S when is_list(S) ->
          [io:format(\"member ~s ~s ~p ~p~n\", [proplists:get_value(<<\"Node Name\">>, P),
             proplists:get_value(<<\"Raft State\">>, P), proplists:get_value(<<\"Log Index\">>, P),
             proplists:get_value(<<\"Commit Index\">>, P)]) || P <- S];
        _ -> ok
      end,
      Disk = fun(N) ->
        case rpc:call(N, mnesia, dirty_read, [rabbit_durable_queue, Q], 5000) of
          [Rec] ->
            {RaName, _} = amqqueue:get_pid(Rec),
            case rpc:call(N, ra_directory, uid_of, [quorum_queues, RaName], 5000) of
              UId when is_binary(UId) ->
                case {rpc:call(N, mnesia, sync_log, [], 5000), rpc:call(N, dets, sync, [ra_directory_reverse], 5000)} of
                  {ok, ok} -> ok;
                  _ -> unreachable
                end;
              undefined -> not_registered;
              _ -> unreachable
            end;
          [] -> no_record;
          _ -> unreachable
        end
      end,
      [io:format(\"disk ~s ~s~n\", [N, Disk(N)]) || N <- [$nodes]],
      ok." 2>/dev/null | grep -E '^(member|disk) ' || true)
    # One node's view only: a node that printed part of it and then failed is not mixed with the next's.
    [ -n "$out" ] && { printf '%s\n' "$out"; return 0; }
  done
  return 0
}

# Waits until quorum queue $1 is fully redundant: a leader, and three members each holding
# the log up to the leader's commit index when the wait began (a member restarted after a
# kill has caught up: until then a second kill leaves the queue without quorum, and no
# publish is confirmed on any node), each node with the queue on its disk.
cmd_settle_queue() {
  local q=$1 deadline report members target=
  deadline=$(($(date +%s) + TIMEOUT))
  while :; do
    report=$(queue_report "$q")
    members=$(grep '^member ' <<<"$report" || true)
    [ -z "$target" ] && target=$(awk '$3 == "leader" { print $5; exit }' <<<"$members")
    if [ -n "$target" ] && [ "$(grep -c . <<<"$members")" -eq 3 ] &&
       awk -v t="$target" '!($3 == "leader" || $3 == "follower") || !($4 + 0 >= t + 0) { bad = 1 } END { exit bad }' <<<"$members" &&
       [ "$(grep -c '^disk .* ok$' <<<"$report")" -eq 3 ]; then
      return 0
    fi
    [ "$(date +%s)" -ge "$deadline" ] &&
      die "quorum queue '$q' not settled within ${TIMEOUT}s (leader's commit index then: ${target:-no leader}; now: $(echo $report))"
    sleep 0.2
  done
}

# ---------------------------------------------------------------- commands

with_lock() { mkdir -p "$DIR"; exec 9>"$DIR/.lock"; flock -w "$((TIMEOUT + 60))" 9 || die "another brokers.sh holds $DIR/.lock"; }

cmd_start() {
  local t0 deadline to_start=() stale=() node any_rabbit= made
  t0=$(date +%s); deadline=$((t0 + TIMEOUT))
  with_lock
  install_if_missing
  prepare_common
  made=$(ensure_tls_files) || exit 1
  if [ -n "$made" ]; then
    # New certificates: a broker still running serves ones from a CA that is gone.
    for node in "${RABBIT_NODES[@]}" activemq; do
      [ -n "$(node_pids "$node")" ] && stale+=("$node")
    done
    if [ ${#stale[@]} -gt 0 ]; then
      say "stopping ${stale[*]}, to start them with the new TLS files"
      stop_all
    fi
  fi
  epmd -names >/dev/null 2>&1 || touch "$DIR/epmd.ours"   # no live epmd yet: ours to stop
  for node in "${RABBIT_NODES[@]}"; do [ -n "$(node_pids "$node")" ] && any_rabbit=1; done
  for node in "${RABBIT_NODES[@]}" activemq; do
    if [ -n "$(node_pids "$node")" ]; then
      # Alive: reuse it when it answers; a node still booting is waited for below.
      healthy "$node" && say "$node: already running" || say "$node: running, waiting for it"
    else
      to_start+=("$node")
    fi
  done
  for node in "${to_start[@]}"; do
    say "$node: starting"
    if [ "$node" = activemq ]; then start_activemq fresh
    elif [ -z "$any_rabbit" ]; then start_rabbit "$node" fresh   # no node up: a new cluster
    else start_rabbit "$node"; fi                                  # rejoins with its state
  done
  wait_ready "$deadline" "${RABBIT_NODES[@]}"
  ensure_joined rabbit2
  ensure_joined rabbit3
  wait_cluster "$deadline"
  wait_ready "$deadline" "${RABBIT_NODES[@]}" activemq
  say "ready in $(($(date +%s) - t0))s: RabbitMQ STOMP 127.0.0.1:${STOMP_PORTS[*]}, TLS ${TLS_PORTS[*]}, Web-STOMP ws ${WS_PORTS[*]} wss ${WSS_PORTS[*]} (one cluster), ActiveMQ STOMP 127.0.0.1:$AMQ_STOMP_PORT, TLS $AMQ_TLS_PORT, TLS with client certificate $AMQ_MTLS_PORT; TLS files in $TLS; state in $DIR"
}

stop_all() {
  local node
  for node in "${RABBIT_NODES[@]}"; do stop_rabbit "$node" & done
  stop_activemq &
  wait
}

cmd_stop() {
  # No state folder (say, artifacts/ was removed): still look for this checkout's processes.
  [ -d "$DIR" ] && with_lock
  stop_all
  # epmd: only when this script started it and no other Erlang node still uses it.
  if [ -f "$DIR/epmd.ours" ]; then
    if ! epmd -names 2>/dev/null | grep -q '^name '; then
      local e; e=$(pgrep -x epmd || true); [ -n "$e" ] && kill $e 2>/dev/null || true
      for _ in $(seq 25); do epmd -names >/dev/null 2>&1 || break; sleep 0.2; done
    fi
    rm -f "$DIR/epmd.ours"
  fi
  say "stopped"
}

cmd_status() {
  local node pids state stomp tls p
  for node in "${RABBIT_NODES[@]}" activemq; do
    pids=$(node_pids "$node" | tr '\n' ' ')
    if [ -z "$pids" ]; then state=down; stomp=-
    else
      state=running; [ "$(proc_state "${pids%% *}")" = T ] && state=paused
      stomp=no; [ "$state" = running ] && stomp_probe "$(stomp_port_of "$node")" 3 && stomp=CONNECTED
    fi
    tls=
    for p in $(tls_ports_of "$node"); do
      if [ "$state" = running ]; then tls_probe "$p" 3 && tls+=" tls 127.0.0.1:$p CONNECTED" || tls+=" tls 127.0.0.1:$p no"
      else tls+=" tls 127.0.0.1:$p -"; fi
    done
    [ "$node" = activemq ] && tls+=" (client certificate required on $AMQ_MTLS_PORT)"
    for p in $(ws_ports_of "$node"); do
      if [ "$state" = running ] && port_in_use "$p"; then tls+=" web-stomp 127.0.0.1:$p open"; else tls+=" web-stomp 127.0.0.1:$p -"; fi
    done
    printf '%-9s %-8s pid %-8s stomp 127.0.0.1:%s %s%s\n' "$node" "$state" "${pids:--}" "$(stomp_port_of "$node")" "$stomp" "$tls"
  done
  for node in "${RABBIT_NODES[@]}"; do
    pids=$(node_pids "$node")
    if [ -n "$pids" ] && [ "$(proc_state "${pids%% *}")" != T ]; then
      printf 'cluster (seen by %s): %s\n' "$node" "$(running_nodes_seen_by "$node" | tr '\n' ' ')"
      break
    fi
  done
}

cmd_signal() { # SIG node
  local sig=$1 node=$2 pids
  pids=$(node_pids "$node")
  [ -n "$pids" ] || die "$node is not running"
  kill "-$sig" $pids
  if [ "$sig" = 9 ]; then
    for _ in $(seq 50); do [ -z "$(node_pids "$node")" ] && break; sleep 0.1; done
    [ "$node" != activemq ] && rm -f "$DIR/$node/$node.pid"
  fi
  say "$node: sent SIG$( [ "$sig" = 9 ] && echo KILL || echo "$sig") to $(echo $pids)"
}

cmd_restart() {
  local node=$1 deadline made
  deadline=$(($(date +%s) + TIMEOUT))
  with_lock
  prepare_common
  made=$(ensure_tls_files) || exit 1
  [ -n "$made" ] && say "made new TLS files: the other brokers serve the old ones until 'stop' and 'start'"
  if [ "$node" = activemq ]; then
    stop_activemq; start_activemq
    wait_ready "$deadline" activemq
  else
    stop_rabbit "$node"
    start_rabbit "$node"
    wait_ready "$deadline" "$node"
    ensure_joined "$node"
    # Back in the cluster: every node sees all three running.
    wait_cluster "$deadline"
    wait_ready "$deadline" "$node"
  fi
  say "$node: restarted"
}

# After all three nodes died (make chaos's full outage): each node waits at boot for the
# others it last ran with, so one restarted alone never answers; all start together, keeping
# their data (start would make a new, empty cluster when no node runs).
cmd_restart_rabbits() {
  local deadline node
  deadline=$(($(date +%s) + TIMEOUT))
  with_lock
  prepare_common
  for node in "${RABBIT_NODES[@]}"; do
    [ -n "$(node_pids "$node")" ] && continue
    say "$node: starting with its data"
    start_rabbit "$node"
  done
  wait_ready "$deadline" "${RABBIT_NODES[@]}"
  wait_cluster "$deadline"
  wait_ready "$deadline" "${RABBIT_NODES[@]}"
  say "RabbitMQ nodes restarted"
}

main() {
  local cmd=${1:-}
  case $cmd in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    kill) check_node "${2:-}"; cmd_signal 9 "$2" ;;
    pause) check_node "${2:-}"; cmd_signal STOP "$2" ;;
    resume) check_node "${2:-}"; cmd_signal CONT "$2" ;;
    restart) check_node "${2:-}"; cmd_restart "$2" ;;
    restart-rabbits) cmd_restart_rabbits ;;
    settle-queue) [ -n "${2:-}" ] || die "settle-queue takes a quorum queue's name"; cmd_settle_queue "$2" ;;
    close-connections)
      case ${2:-} in rabbit1|rabbit2|rabbit3) ;; *) die "close-connections takes a RabbitMQ node (rabbit1, rabbit2 or rabbit3), not '${2:-}'" ;; esac
      ctl -n "$(erl_name "$2")" close_all_connections "closed by scripts/brokers.sh" >/dev/null || die "$2: close_all_connections failed"
      say "$2: closed every client connection" ;;
    *) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
  esac
}

main "$@"
