# Stomper for .NET. `make demo` and `make test` are the two commands a new user needs.
SHELL := /bin/bash
DOTNET ?= dotnet
CONFIG ?= Debug
RESULTS := artifacts/test-results
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1

.PHONY: all build pack public-api test unit-test fuzz bench bench-deps chaos clean brokers brokers-stop demo

all: build

build:
	$(DOTNET) build stomper.sln -c $(CONFIG)

# The loop's tests once more on the portable backend (Socket.Select), which Linux runs only
# when asked: the first run covers epoll (docs/design.md, "Waiting for sockets").
LOOP_TESTS_ON_SELECT = STOMPER_LOOP_BACKEND=select $(DOTNET) test Stomper.Tests/Stomper.Tests.csproj -c $(CONFIG) --no-build \
	--blame-hang-timeout 8m --filter "FullyQualifiedName~Stomper.Tests.EventLoop" --logger "trx;LogFileName=loop-tests-on-select.trx" \
	--logger "console;verbosity=minimal" --results-directory $(RESULTS)

# The libraries: every project that sets IsPackable (Directory.Build.targets says what that
# brings), so a new library is packed and API-tracked without a change here.
LIBRARIES := $(sort $(shell grep -l '<IsPackable>true</IsPackable>' */*.csproj))
PACKAGES := artifacts/packages

# One package (.nupkg) and one symbols package (.snupkg) per library, in Release with
# deterministic paths, into artifacts/packages (emptied first, so that nothing stale is
# left for the from-packages test to pick up). docs/releasing.md.
pack:
	rm -rf $(PACKAGES)
	@for project in $(LIBRARIES); do \
	  $(DOTNET) pack $$project -c Release -p:ContinuousIntegrationBuild=true || exit $$?; \
	done
	@ls -l $(PACKAGES)

# After a deliberate change to the public API: rewrites each library's PublicAPI.Unshipped.txt
# from the code (keeping its *REMOVED* lines), sorted, then builds the libraries, which fail
# while an API is missing from both files. A new library's two files are made empty first.
# docs/releasing.md, "Changing the public API".
public-api:
	@for project in $(LIBRARIES); do \
	  api=$$(dirname $$project)/PublicAPI.Unshipped.txt; shipped=$$(dirname $$project)/PublicAPI.Shipped.txt; \
	  [ -f $$shipped ] || echo '#nullable enable' > $$shipped; \
	  touch $$api; \
	  { echo '#nullable enable'; grep '^\*REMOVED\*' $$api || true; } > $$api.new && mv $$api.new $$api; \
	  echo "== $$project"; $(DOTNET) restore $$project -v q || exit $$?; \
	  $(DOTNET) format analyzers $$project --diagnostics RS0016 --severity warn || exit $$?; \
	  { head -n 1 $$api; tail -n +2 $$api | LC_ALL=C sort -u; } > $$api.new && mv $$api.new $$api; \
	done
	@for project in $(LIBRARIES); do $(DOTNET) build $$project -c $(CONFIG) --no-restore -v q -nologo || exit $$?; done

# Every test, unit and integration. The packages are made first, for the test that builds a
# program from them alone. The brokers are started first (idempotent) and
# stopped after, unless all of them were already running; the closing line
# "N passed, N failed" is what CI reads.
test: build pack
	@up=$$(scripts/brokers.sh status 2>/dev/null | grep -c ' running ' || true); \
	scripts/brokers.sh start || exit $$?; \
	rm -rf $(RESULTS); \
	$(DOTNET) test stomper.sln -c $(CONFIG) --no-build --blame-hang-timeout 8m --logger "trx" --logger "console;verbosity=minimal" --results-directory $(RESULTS); \
	$(LOOP_TESTS_ON_SELECT); \
	if [ "$$up" != 4 ]; then scripts/brokers.sh stop; fi; \
	scripts/test-summary.sh $(RESULTS)

# Unit tests only: no broker needed.
unit-test: build
	rm -rf $(RESULTS)
	-$(DOTNET) test stomper.sln -c $(CONFIG) --no-build --blame-hang-timeout 8m --filter "Category!=Integration" --logger "trx" --logger "console;verbosity=minimal" --results-directory $(RESULTS)
	-$(LOOP_TESTS_ON_SELECT)
	@scripts/test-summary.sh $(RESULTS)

# Issue 9's model test for as long as asked: new seeded sequences of commands and faults
# against the cluster over three in-memory brokers, every failing seed printed with its
# repro. FUZZ_SEED picks the first seed (default: the clock); FUZZ_SEQUENCES=1 replays one.
FUZZ_SECONDS ?= 600
FUZZ_SEED ?= $(shell date +%s)
FUZZ_SEQUENCES ?=
fuzz: build
	MODEL_SECONDS=$(FUZZ_SECONDS) MODEL_SEED=$(FUZZ_SEED) MODEL_SEQUENCES=$(FUZZ_SEQUENCES) \
	  $(DOTNET) test Stomper.Tests/Stomper.Tests.csproj -c $(CONFIG) --no-build --filter "Category=Model" --logger "console;verbosity=normal"

# The main job, set-up included: brokers, build, the cluster example against the three
# RabbitMQ nodes, then a failover (the active node is killed, the next takes over);
# the brokers are stopped at the end whatever happened.
EXAMPLES := $(DOTNET) run --no-build -c Release --project examples/Stomper.Examples.csproj --
demo: brokers
	$(DOTNET) build examples/Stomper.Examples.csproj -c Release
	@status=0; \
	echo "== The cluster example (examples/ClusterExample.cs, the twin of cluster.pl) =="; \
	timeout 60 $(EXAMPLES) cluster || status=$$?; \
	if [ $$status -eq 0 ]; then \
	  echo "== Failover: the active node is killed while messages flow =="; \
	  timeout 150 $(EXAMPLES) failover scripts/brokers.sh || status=$$?; \
	fi; \
	scripts/brokers.sh stop; \
	exit $$status

# Issue 6's benchmarks in one go (docs/performance.md): the loop benchmarks, workloads
# 1-3 against a local peer for Stomper and stomp.py, the scale workload (issue 16: idle
# watched sockets, 1,000 clients on one loop), workload 5 against RabbitMQ and
# ActiveMQ (started for the run when not already up), then the micro-benchmarks.
# stomp.py is Debian's python3-stomp, run by the system python3.
# BENCH_SCALE=0.1 divides the message counts for a quick look.
BENCH_SCALE ?= 1
bench: bench-deps
	$(DOTNET) build bench/Stomper.Bench/Stomper.Bench.csproj -c Release
	$(DOTNET) artifacts/bin/Stomper.Bench/release/Stomper.Bench.dll all $(BENCH_SCALE)

bench-deps:
	@/usr/bin/python3 -c 'import stomp' 2>/dev/null || { apt-get update && apt-get install -y --no-install-recommends python3-stomp; }

# Issue 14's chaos scenarios on the real three-node RabbitMQ cluster (docs/chaos.md): kill -9
# of the active node 10 times, SIGSTOP, kill before a SUBSCRIBE's RECEIPT, all three nodes
# down 20 s, close_all_connections, a restart while idle; each in the original mode (figures
# only) and the reliable one (targets: the run fails when one is missed). About half an hour,
# not part of make test (which runs the short version). The brokers are started when not
# all up, and then stopped after. CHAOS_MODE: both, original or reliable; CHAOS_SCENARIOS:
# all, short or scenario names; STOMPER_CHAOS_SEED repeats a run.
CHAOS_MODE ?= both
CHAOS_SCENARIOS ?= all
chaos:
	$(DOTNET) build chaos/Stomper.Chaos/Stomper.Chaos.csproj -c Release
	@up=$$(scripts/brokers.sh status 2>/dev/null | grep -c ' running ' || true); \
	scripts/brokers.sh start || exit $$?; \
	status=0; \
	$(DOTNET) artifacts/bin/Stomper.Chaos/release/Stomper.Chaos.dll $(CHAOS_MODE) $(CHAOS_SCENARIOS) || status=$$?; \
	if [ "$$up" != 4 ]; then scripts/brokers.sh stop; fi; \
	exit $$status

clean:
	-scripts/brokers.sh stop
	rm -rf artifacts BenchmarkDotNet.Artifacts

# A three-node RabbitMQ cluster (STOMP 61613-61615) and ActiveMQ (STOMP 61620) on
# 127.0.0.1, installed from Debian's packages when missing; see docs/brokers.md.
brokers:
	scripts/brokers.sh start

brokers-stop:
	scripts/brokers.sh stop
