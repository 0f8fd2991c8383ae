# pinbounce: see README.md.
#   make check    install what is missing, build everything, run every test
#   make demo     boot the patched kernel in a VM and show the bounce at work
#   make bench    measure what the policy program and the observers cost
#   make bench-kernel  the patched kernel against the stock one
#   make check-debug  the VM tests on the series built with KASAN, lockdep,
#                 DEBUG_VM and the hung-task detector
#   make check-full   check, check-debug, then check-stock (longer than CI runs)
#   make check-stock  the integrity and RDMA demonstrations on the stock
#                 kernel: every one of them must fail there
#   make demo-rdma    Soft-RoCE and perftest on the stock and the patched kernel

# The BPF target's name for the host's architecture, as libbpf spells it.
HOST_ARCH  := $(shell uname -m)
ARCH_DIR   := $(or $(patsubst x86_64,x86,$(patsubst aarch64,arm64,$(filter x86_64 aarch64,$(HOST_ARCH)))),$(error pinbounce builds on x86_64 and aarch64, not $(HOST_ARCH)))
BUILD      := build
PREFIX     ?= /usr/local
DESTDIR    ?=
UNITDIR    ?= $(PREFIX)/lib/systemd/system
# /etc for PREFIX=/usr (a distribution's), else PREFIX/etc.
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
DOCDIR     ?= $(PREFIX)/share/doc/pinbounce
CLANG      ?= clang
BPFTOOL    ?= bpftool
CC         ?= gcc
CFLAGS     ?= -O2 -g
WARNINGS   := -Wall -Wextra -Werror
# BPF_PROG() hands every program all of its hook's arguments.
BPF_WARNINGS := $(WARNINGS) -Wno-unused-parameter
INCLUDES   := -Iinclude -I$(BUILD)/bpf
LDLIBS     := -lbpf -lelf -lz
VMLINUX_H  := vmlinux/$(ARCH_DIR)/vmlinux.h

# The patched kernel tree, cached outside the clone by kernel-patch/build.sh;
# KERNEL_FLAVOR=debug picks the debug build.
KERNEL_FLAVOR ?=
KDIR_FILE  := $(BUILD)/kdir$(if $(KERNEL_FLAVOR),-$(KERNEL_FLAVOR))
KDIR        = $(shell cat $(KDIR_FILE) 2>/dev/null)

DEBS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev dwarves \
	linux-source-6.1 qemu-system-x86 gcc make patch flex bison bc \
	libssl-dev kmod cpio xz-utils perl python3 util-linux e2fsprogs \
	xfsprogs btrfs-progs f2fs-tools dmsetup libcmocka-dev libclang-rt-14-dev libjansson-dev fdisk fio \
	libmicrohttpd-dev libncurses-dev tmux prometheus libbpf-tools python3-jsonschema curl mdadm \
	rdma-core ibverbs-providers perftest iproute2 mandoc bash-completion \
	dpkg-dev debhelper lintian

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.skel.h,$(BPF_SRCS))
TEST_BINS := $(BUILD)/tests/pinwrite $(BUILD)/tests/pagecopy $(BUILD)/tests/failalloc \
	$(BUILD)/tests/otherpolicy $(BUILD)/tests/bvecs $(BUILD)/tests/rqbound \
	$(BUILD)/tests/test_policy $(BUILD)/tests/test_rate $(BUILD)/tests/test_text \
	$(BUILD)/tests/fuzz_policy $(BUILD)/san/pinbounce

ifeq ($(V),1)
Q :=
msg := @true
else
Q := @
msg := @printf '  %-8s %s\n'
endif

.DELETE_ON_ERROR:
# Keep intermediates (BPF objects, skeletons): no rebuild on every make.
.SECONDARY:
.PHONY: all deps kernel vmlinux-h bpf user fixture fixture-stock tests check check-debug \
	check-full check-stock demo demo-rdma \
	bench bench-policy bench-observe bench-kernel bench-export install clean

all: bpf user tests

deps:
	$(Q)missing=$$(for p in $(DEBS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "  APT      $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null; \
	fi

kernel:
	$(Q)mkdir -p $(BUILD)
	$(Q)kernel-patch/build.sh $(KERNEL_FLAVOR) > $(KDIR_FILE).tmp && \
		mv $(KDIR_FILE).tmp $(KDIR_FILE)
	$(Q)echo "  KERNEL   $$(cat $(KDIR_FILE))"

# vmlinux.h is kept in the tree so that the BPF programs build without a
# kernel; regenerate it from the patched kernel's BTF after changing it.
vmlinux-h: kernel
	$(Q)$(BPFTOOL) btf dump file $(KDIR)/vmlinux format c > $(VMLINUX_H).tmp
	$(Q)mv $(VMLINUX_H).tmp $(VMLINUX_H)
	$(msg) GEN $(VMLINUX_H)

bpf: $(BPF_SKELS)

# Every BPF program, in bpf/ or a test's (tests/vm/), is built the same way:
# DIR/NAME.bpf.c gives $(BUILD)/DIR/NAME.skel.h.
$(BUILD)/%.tmp.o: %.bpf.c $(VMLINUX_H)
	$(msg) BPF $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH_DIR) $(BPF_WARNINGS) \
		-MMD -MP -Ivmlinux/$(ARCH_DIR) -Iinclude -Ibpf -c $< -o $@

$(BUILD)/%.bpf.o: $(BUILD)/%.tmp.o
	$(msg) GEN-OBJ $@
	$(Q)$(BPFTOOL) gen object $@ $<

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(msg) GEN-SKEL $@
	$(Q)$(BPFTOOL) gen skeleton $< > $@

tests: $(TEST_BINS)

user: $(BUILD)/pinforce $(BUILD)/pinbounce

# user/ by layer: cli/ the commands, policy/ the policy language and what
# is pinned in the kernel, observe/ the observers and what reads them,
# common/ what both CLIs share.  Each object is compiled once, with its
# header dependencies (-MMD), in $(BUILD)/obj for the installed build and
# $(BUILD)/san-obj for the one the tests drive under ASan and UBSan.
USER_DIRS      := user/cli user/policy user/observe user/common
USER_INCLUDES  := $(addprefix -I,$(USER_DIRS))
vpath %.c $(USER_DIRS)
PINBOUNCE_OBJS := main.o policy_cmd.o state.o resolve.o policy.o hook.o observe.o report.o text.o \
	stats_cmd.o top_cmd.o export_cmd.o trace_cmd.o cgroup_cache.o state_cmd.o \
	prom.o metrics.o cgroup2.o mountinfo.o lint.o blockdev.o pins_cmd.o census.o log_limit.o \
	expect.o
PINFORCE_OBJS  := pinforce.o hook.o run.o
PINBOUNCE_LIBS := $(LDLIBS) -ljansson -lmicrohttpd -lncursesw -lm
SKELS_USED     := $(BUILD)/bpf/policy.skel.h $(BUILD)/bpf/observe.skel.h $(BUILD)/bpf/force.skel.h \
	$(BUILD)/bpf/pins.skel.h

$(BUILD)/obj/%.o: %.c | $(SKELS_USED)
	$(msg) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARNINGS) -MMD -MP $(INCLUDES) $(USER_INCLUDES) -c $< -o $@

$(BUILD)/san-obj/%.o: %.c | $(SKELS_USED)
	$(msg) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O1 -g $(SANITIZE) $(WARNINGS) -MMD -MP $(INCLUDES) $(USER_INCLUDES) -c $< -o $@

$(BUILD)/pinbounce: $(addprefix $(BUILD)/obj/,$(PINBOUNCE_OBJS))
	$(msg) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(PINBOUNCE_LIBS)

# The tests drive this build of the CLI: any leak or undefined behaviour in
# a command fails the test that ran it.
$(BUILD)/san/pinbounce: $(addprefix $(BUILD)/san-obj/,$(PINBOUNCE_OBJS)) | $(BUILD)/san
	$(msg) LD $@
	$(Q)$(CC) -O1 -g $(SANITIZE) $^ -o $@ $(PINBOUNCE_LIBS)

$(BUILD)/pinforce: $(addprefix $(BUILD)/obj/,$(PINFORCE_OBJS))
	$(msg) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/san-obj/*.d $(BUILD)/bpf/*.d $(BUILD)/tests/vm/*.d)

# The skeletons embed the BPF objects: the installed binaries need nothing
# else at run time.
install: $(BUILD)/pinbounce $(BUILD)/pinforce
	install -d "$(DESTDIR)$(PREFIX)/sbin"
	install -m 0755 $(BUILD)/pinbounce $(BUILD)/pinforce "$(DESTDIR)$(PREFIX)/sbin/"
	install -d "$(DESTDIR)$(PREFIX)/share/man/man5" "$(DESTDIR)$(PREFIX)/share/man/man8"
	install -m 0644 man/pinbounce.policy.5 "$(DESTDIR)$(PREFIX)/share/man/man5/"
	install -m 0644 man/pinbounce.8 man/pinforce.8 "$(DESTDIR)$(PREFIX)/share/man/man8/"
	install -d "$(DESTDIR)$(PREFIX)/share/bash-completion/completions"
	install -m 0644 dist/bash-completion/pinbounce \
		"$(DESTDIR)$(PREFIX)/share/bash-completion/completions/"
	ln -sf pinbounce "$(DESTDIR)$(PREFIX)/share/bash-completion/completions/pinforce"
	install -d $(BUILD)/systemd "$(DESTDIR)$(UNITDIR)"
	for unit in pinbounce-policy.service pinbounce-exporter.service; do \
		sed 's|@SBINDIR@|$(PREFIX)/sbin|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
			dist/systemd/$$unit > $(BUILD)/systemd/$$unit || exit 1; \
		install -m 0644 $(BUILD)/systemd/$$unit "$(DESTDIR)$(UNITDIR)/" || exit 1; \
	done
	install -d "$(DESTDIR)$(SYSCONFDIR)/pinbounce" "$(DESTDIR)$(SYSCONFDIR)/default"
	test -e "$(DESTDIR)$(SYSCONFDIR)/pinbounce/pinbounce.policy" || \
		install -m 0644 dist/pinbounce.policy "$(DESTDIR)$(SYSCONFDIR)/pinbounce/pinbounce.policy"
	test -e "$(DESTDIR)$(SYSCONFDIR)/default/pinbounce-exporter" || \
		install -m 0644 dist/default/pinbounce-exporter \
			"$(DESTDIR)$(SYSCONFDIR)/default/pinbounce-exporter"
	install -d "$(DESTDIR)$(DOCDIR)/examples"
	install -m 0644 README.md doc/pinbounce-1.schema.json "$(DESTDIR)$(DOCDIR)/"
	install -m 0644 dist/pinbounce.policy dist/prometheus/pinbounce.rules.yml \
		dist/grafana/pinbounce.json "$(DESTDIR)$(DOCDIR)/examples/"

$(BUILD)/tests/pinwrite: tests/vm/pinwrite.c include/pinfix.h | $(BUILD)/tests
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(INCLUDES) $< -o $@

$(BUILD)/tests/pagecopy: tests/vm/pagecopy.c | $(BUILD)/tests
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $< -o $@

# A test-only BPF tool: page allocations fail inside the bounce.
$(BUILD)/tests/failalloc: tests/vm/failalloc.c user/common/run.c user/common/run.h \
		$(BUILD)/tests/vm/failalloc.skel.h | $(BUILD)/tests
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) -I$(BUILD)/tests/vm -Iuser/common $< user/common/run.c -o $@ $(LDLIBS)

# A test-only BPF tool: maps of another build pinned where pinbounce pins.
$(BUILD)/tests/otherpolicy: tests/vm/otherpolicy.c $(BUILD)/tests/vm/otherpolicy.skel.h | $(BUILD)/tests
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) -I$(BUILD)/tests/vm $< -o $@ $(LDLIBS)

# A test-only BPF tool: what the write bios queued to a disk carry.
$(BUILD)/tests/bvecs: tests/vm/bvecs.c $(BUILD)/tests/vm/bvecs.skel.h | $(BUILD)/tests
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) -I$(BUILD)/tests/vm $< -o $@ $(LDLIBS)

# A test-only BPF tool: the observer of completions with a low bound.
$(BUILD)/tests/rqbound: tests/vm/rqbound.c user/common/run.c user/common/run.h \
		$(BUILD)/bpf/observe.skel.h | $(BUILD)/tests
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(INCLUDES) -Iuser/common $< user/common/run.c -o $@ $(LDLIBS)

# Out-of-tree modules must be rebuilt whenever the kernel is: their BTF is
# checked against the running vmlinux.
fixture: kernel
	$(msg) MODULE tests/fixture/pinfix.ko
	$(Q)$(MAKE) -s -C $(KDIR) M=$(CURDIR)/tests/fixture clean
	$(Q)$(MAKE) -s -C $(KDIR) M=$(CURDIR)/tests/fixture W=1 \
		KCFLAGS=-Werror modules

# The fixture for the stock kernel, built from a copy of its source so that
# the patched kernel's build in tests/fixture stays.
fixture-stock:
	$(Q)$(MAKE) --no-print-directory KERNEL_FLAVOR=stock kernel
	$(msg) MODULE $(BUILD)/fixture-stock/pinfix.ko
	$(Q)rm -rf $(BUILD)/fixture-stock && mkdir -p $(BUILD)/fixture-stock
	$(Q)cp tests/fixture/Kbuild tests/fixture/pinfix.c $(BUILD)/fixture-stock/
	$(Q)$(MAKE) -s -C $$(cat $(BUILD)/kdir-stock) M=$(CURDIR)/$(BUILD)/fixture-stock W=1 \
		KCFLAGS=-Werror modules

# Unit tests and the fuzzer run under the sanitizers.
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
POLICY_SRCS := user/policy/policy.c user/policy/policy.h include/pinbounce.h

$(BUILD)/tests/test_policy: tests/unit/test_policy.c $(POLICY_SRCS) user/policy/lint.c \
		user/policy/lint.h user/common/blockdev.c user/common/blockdev.h | $(BUILD)/tests
	$(msg) CC $@
	$(Q)$(CC) -O1 -g $(SANITIZE) $(WARNINGS) -Iinclude -Iuser/policy -Iuser/common $< \
		user/policy/policy.c user/policy/lint.c user/common/blockdev.c -o $@ -lcmocka

$(BUILD)/tests/test_rate: tests/unit/test_rate.c include/pb_rate.h include/pinbounce.h | $(BUILD)/tests
	$(msg) CC $@
	$(Q)$(CC) -O1 -g $(SANITIZE) $(WARNINGS) -Iinclude $< -o $@ -lcmocka

$(BUILD)/tests/test_text: tests/unit/test_text.c user/common/text.c user/common/text.h | $(BUILD)/tests
	$(msg) CC $@
	$(Q)$(CC) -O1 -g $(SANITIZE) $(WARNINGS) -Iuser/common $< user/common/text.c -o $@ -lcmocka

$(BUILD)/tests/fuzz_policy: tests/fuzz/fuzz_policy.c $(POLICY_SRCS) | $(BUILD)/tests
	$(msg) CLANG $@
	$(Q)$(CLANG) -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(WARNINGS) -Iinclude -Iuser/policy $< user/policy/policy.c -o $@

$(BUILD)/bpf $(BUILD)/tests $(BUILD)/san:
	$(Q)mkdir -p $@

VM_TESTS := fixture default-stable default-nonstable force paths integrity integrity-part rdma \
	subpage late-dma dirty-limits reflink enospc quota odirect freeze truncate write-error \
	pool-pressure zone-append md-raid1 dm btrfs policy \
	policy-match policy-swap bpffs observe top export trace pins expose-direct
# The longer VM tests, run by check-full only.
VM_FULL_TESTS := rdma-part
# make check builds one kernel, the patched one; check-stock (in check-full)
# builds stock 6.1 and runs there what needs no series too (pins).
check: deps
	$(Q)$(MAKE) --no-print-directory kernel
	$(Q)$(MAKE) --no-print-directory all fixture
	$(Q)tests/check.sh $(VM_TESTS)

# The debug kernel is several times slower under TCG: its tests get a
# longer timeout, and still fail past a third of it.  Soft-RoCE there
# completes no 64 KiB RDMA write within perftest's 2 s sampling window of
# a 6 s run: its runs last 20 s.  Even then, with perftest's busy polling
# and 128 writes in flight, a run on a partition often completed none in
# its 16 s window: perftest at nice 19 with 16 in flight completed 64.
check-debug: deps
	$(Q)$(MAKE) --no-print-directory KERNEL_FLAVOR=debug kernel
	$(Q)$(MAKE) --no-print-directory KERNEL_FLAVOR=debug all fixture
	$(Q)PB_TEST_TIMEOUT=$${PB_TEST_TIMEOUT:-1800} PB_VM_TIMEOUT=$${PB_VM_TIMEOUT:-10800} \
		PB_RDMA_SECONDS=$${PB_RDMA_SECONDS:-20} PB_RDMA_NICE=$${PB_RDMA_NICE:-19} \
		PB_RDMA_DEPTH=$${PB_RDMA_DEPTH:-16} \
		tests/vm/run.sh \
		$$(cat $(BUILD)/kdir-debug) $(VM_TESTS)

# check compiles after each patch what that patch changes; check-full
# compiles everything the series touches after every patch.
check-full:
	$(Q)$(MAKE) --no-print-directory check
	$(Q)tests/kernel-bisect.sh --full $$(cat $(BUILD)/kdir)
	$(Q)tests/vm/run.sh $$(cat $(BUILD)/kdir) $(VM_FULL_TESTS)
	$(Q)$(MAKE) --no-print-directory check-debug
	$(Q)$(MAKE) --no-print-directory check-stock

# The baseline: what the demonstrations show on Debian's 6.1 without the
# series.  The tests expect the failures there.
STOCK_TESTS := integrity integrity-part rdma rdma-part pins expose-direct

check-stock: deps
	$(Q)$(MAKE) --no-print-directory all fixture-stock
	$(Q)PB_FIXTURE=$(CURDIR)/$(BUILD)/fixture-stock/pinfix.ko \
		tests/vm/run.sh $$(cat $(BUILD)/kdir-stock) $(STOCK_TESTS)

demo: deps
	$(Q)$(MAKE) --no-print-directory kernel
	$(Q)$(MAKE) --no-print-directory all fixture
	$(Q)tests/vm/run.sh $$(cat $(KDIR_FILE)) integrity

demo-rdma: deps
	$(Q)$(MAKE) --no-print-directory kernel
	$(Q)$(MAKE) --no-print-directory all fixture fixture-stock
	$(Q)tests/demo-rdma.sh $$(cat $(KDIR_FILE)) $$(cat $(BUILD)/kdir-stock)

# Benchmarks: figures, not pass/fail.
bench: bench-policy bench-observe bench-export

bench-kernel: deps
	$(Q)$(MAKE) --no-print-directory kernel
	$(Q)$(MAKE) --no-print-directory KERNEL_FLAVOR=stock kernel
	$(Q)$(MAKE) --no-print-directory all fixture
	$(Q)tests/bench-kernel.sh $$(cat $(KDIR_FILE)) $$(cat $(BUILD)/kdir-stock)

bench-policy bench-observe: deps
	$(Q)$(MAKE) --no-print-directory kernel
	$(Q)$(MAKE) --no-print-directory all fixture
	$(Q)$(if $(filter bench-policy,$@),tests/vm/run.sh $$(cat $(KDIR_FILE)) bench-policy, \
		tests/bench-observe.sh $$(cat $(KDIR_FILE)))

# On the host: the exporter's scrape time with 1000 cgroups, 100 of them
# replaced every second.
bench-export: $(BUILD)/pinbounce
	$(Q)tests/bench-export.sh $(BUILD)/pinbounce

clean:
	rm -rf $(BUILD)
	$(MAKE) -s -C tests/fixture -f /dev/null clean 2>/dev/null || true
	rm -f tests/fixture/*.o tests/fixture/*.ko tests/fixture/*.mod* \
		tests/fixture/.*.cmd tests/fixture/Module.symvers tests/fixture/modules.order
