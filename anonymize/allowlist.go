package anonymize

import "slices"

// defaultAllowlist is the card's "distro and dev-tool basenames": names
// that identify a widely distributed program, not a person, host or
// project. Grouped for review; order does not matter.
var defaultAllowlist = [][]string{
	// GNU coreutils.
	{"[", "arch", "b2sum", "base32", "base64", "basename", "basenc", "cat", "chcon", "chgrp", "chmod",
		"chown", "chroot", "cksum", "comm", "cp", "csplit", "cut", "date", "dd", "df", "dir", "dircolors",
		"dirname", "du", "echo", "env", "expand", "expr", "factor", "false", "fmt", "fold", "groups", "head",
		"hostid", "id", "install", "join", "link", "ln", "logname", "ls", "md5sum", "mkdir", "mkfifo",
		"mknod", "mktemp", "mv", "nice", "nl", "nohup", "nproc", "numfmt", "od", "paste", "pathchk", "pinky",
		"pr", "printenv", "printf", "ptx", "pwd", "readlink", "realpath", "rm", "rmdir", "runcon", "seq",
		"sha1sum", "sha224sum", "sha256sum", "sha384sum", "sha512sum", "shred", "shuf", "sleep", "sort",
		"split", "stat", "stdbuf", "stty", "sum", "sync", "tac", "tail", "tee", "test", "timeout", "touch",
		"tr", "true", "truncate", "tsort", "tty", "uname", "unexpand", "uniq", "unlink", "users", "vdir",
		"wc", "who", "whoami", "yes"},
	// util-linux, procps, findutils, grep, sed, awk, diffutils, archivers.
	{"agetty", "blkid", "chsh", "column", "dmesg", "fallocate", "findmnt", "flock", "getopt", "hexdump",
		"ionice", "kill", "last", "logger", "login", "losetup", "lsblk", "lscpu", "lsipc", "lslocks",
		"lsns", "more", "mount", "mountpoint", "nsenter", "prlimit", "rename", "renice", "script",
		"setsid", "su", "swapon", "taskset", "umount", "unshare", "uuidgen", "wall", "whereis",
		"free", "pgrep", "pidof", "pkill", "pmap", "ps", "pwdx", "slabtop", "sysctl", "tload", "top",
		"uptime", "vmstat", "w", "watch", "find", "xargs", "locate", "updatedb", "grep", "egrep", "fgrep",
		"sed", "awk", "gawk", "mawk", "diff", "cmp", "diff3", "sdiff", "patch", "tar", "gzip", "gunzip",
		"zcat", "bzip2", "bunzip2", "xz", "unxz", "zstd", "unzip", "zip", "cpio", "file", "which",
		"less", "tree", "lsof", "strace", "ltrace", "gdb", "perf", "htop", "tmux", "screen", "time",
		"hostname", "hostnamectl", "ip", "ss", "ping", "netstat", "ifconfig", "route", "dig", "nslookup",
		"host", "nc", "ncat", "socat", "curl", "wget", "ssh", "scp", "sftp", "ssh-agent", "ssh-add",
		"ssh-keygen", "rsync", "openssl", "gpg", "gpg-agent", "jq", "yq", "rg", "fd", "fzf", "bat",
		"vim", "vi", "nvim", "nano", "emacs", "ed", "man", "groff", "iconv", "locale", "tput",
		"clear", "reset", "ldd", "ldconfig", "ld.so", "getent", "id", "newgrp", "passwd", "useradd",
		"usermod", "userdel", "groupadd", "chpasswd", "sudo", "sudoedit", "visudo", "run-parts",
		"start-stop-daemon", "update-alternatives", "readelf", "objdump", "nm", "strings", "strip",
		"kmod", "modprobe", "lsmod", "insmod", "rmmod", "depmod", "udevadm", "mkfs", "fsck", "e2fsck",
		"crontab", "at", "batch", "flatpak", "snap", "lsb_release", "pager", "sensible-pager",
		"sensible-editor", "editor", "mesg", "stdbuf", "nologin", "tini", "dumb-init"},
	// Shells.
	{"sh", "bash", "dash", "zsh", "fish", "ksh", "mksh", "csh", "tcsh", "busybox", "rbash"},
	// Interpreters, runtimes, package managers and build tools.
	{"python", "python2", "python3", "pypy", "pypy3", "pip", "pip3", "pipx", "uv", "uvx", "poetry",
		"pytest", "ruff", "black", "mypy", "flake8", "pylint", "ipython", "jupyter", "conda",
		"node", "nodejs", "npm", "npx", "pnpm", "yarn", "corepack", "deno", "bun", "tsc", "tsserver",
		"esbuild", "vite", "webpack", "eslint", "prettier", "jest",
		"perl", "ruby", "gem", "bundle", "irb", "php", "composer", "lua", "luajit", "tclsh", "Rscript", "R",
		"java", "javac", "jar", "gradle", "mvn", "kotlin", "scala", "sbt",
		"go", "gofmt", "gopls", "dlv", "cargo", "rustc", "rustup", "rust-analyzer",
		"gcc", "g++", "cc", "c++", "cpp", "cc1", "cc1plus", "collect2", "as", "ld", "ld.bfd", "ld.gold",
		"ld.lld", "lld", "clang", "clang++", "clangd", "make", "gmake", "cmake", "ninja", "meson",
		"autoconf", "automake", "libtool", "pkg-config", "ar", "ranlib", "bazel",
		"dotnet", "docker", "dockerd", "containerd", "containerd-shim", "runc", "podman", "buildah",
		"kubectl", "helm", "terraform", "ansible", "ansible-playbook",
		"apt", "apt-get", "apt-cache", "apt-key", "apt-config", "dpkg", "dpkg-query", "dpkg-deb",
		"dpkg-split", "dpkg-divert", "dpkg-trigger", "unattended-upgrade", "unattended-upgr",
		"yum", "dnf", "rpm", "apk", "pacman", "zypper", "brew", "nix", "debconf", "debconf-communicate"},
	// Version control and developer tools of the card's container.
	{"git", "git-remote-http", "git-remote-https", "git-upload-pack", "git-receive-pack",
		"git-lfs", "git-credential-store", "git-credential-cache", "gh", "hub", "svn", "hg",
		"code", "code-server", "code-tunnel", "cursor", "claude", "codex", "copilot",
		"rg", "fd", "ctags", "shellcheck", "shfmt", "sqlite3", "psql", "mysql", "redis-cli", "mongosh"},
	// systemd and its daemons; other system daemons.
	{"init", "systemd", "systemd-journald", "systemd-resolved", "systemd-networkd", "systemd-logind",
		"systemd-udevd", "systemd-timesyncd", "systemd-detect-virt", "systemd-tmpfiles", "systemd-sysctl",
		"systemd-user-runtime-dir", "systemd-executor", "systemd-hostnamed", "systemd-localed",
		"systemd-timedated", "systemd-machined", "systemd-userdbd", "systemd-run", "systemd-cgls",
		"systemd-analyze", "systemd-notify", "systemd-escape", "systemd-ask-password",
		"systemd-tty-ask-password-agent", "systemd-networkd-wait-online", "systemd-sleep",
		"(sd-pam)", "sd-pam", "systemctl", "journalctl", "loginctl", "timedatectl", "localectl",
		"networkctl", "resolvectl", "busctl", "coredumpctl",
		"dbus-daemon", "dbus-broker", "dbus-broker-launch", "dbus-send", "polkitd", "pkexec",
		"cron", "crond", "anacron", "atd", "sshd", "sshd-session", "sshd-auth", "rsyslogd", "syslogd",
		"syslog-ng", "logrotate", "chronyd", "ntpd", "dhclient", "dhcpcd", "networkd-dispatcher",
		"NetworkManager", "wpa_supplicant", "avahi-daemon", "cupsd", "udisksd", "upowerd",
		"accounts-daemon", "snapd", "packagekitd", "irqbalance", "thermald", "multipathd", "auditd",
		"containerd", "lxcfs", "lxc-start", "lxc-attach", "lxc-execute", "lxd", "incus",
		"nginx", "apache2", "httpd", "postgres", "mysqld", "mariadbd", "redis-server", "mongod",
		"tetragon", "unix_chkpwd", "mandb", "apt-compat", "dpkg-db-backup", "e2scrub_all",
		"fstrim", "plymouthd", "getty", "xinetd", "exim4", "postfix"},
}

// defaultAllowPatterns match versioned interpreter and toolchain names.
var defaultAllowPatterns = []string{
	// python3.12, pip3.11, perl5.36.0, ruby3.2, php8.2, lua5.4, node20, tclsh8.6
	`(?:python|pip|pypy|perl|ruby|php|lua|luajit|node|nodejs|tclsh|wish)[0-9]+(?:\.[0-9]+)*m?`,
	// gcc-12, g++-13, clang-17, cpp-12, ld.lld-17, java-21, go-1.22
	`(?:gcc|g\+\+|cpp|cc|c\+\+|clang|clang\+\+|clangd|lld|ld\.lld|gfortran|java|go|llvm-[a-z]+)-[0-9]+(?:\.[0-9]+)*`,
	// x86_64-linux-gnu-gcc-12 and similar cross-toolchain names
	`(?:x86_64|aarch64|i686|arm)-linux-gnu(?:eabihf)?-(?:gcc|g\+\+|cpp|as|ld|ar|strip|objdump)(?:-[0-9]+)?`,
}

// DefaultAllowlist returns a copy of the built-in allowlist of distro and
// developer-tool basenames that pass verbatim: coreutils, util-linux and
// procps, shells, interpreters and package managers, git, gh, code,
// claude, systemd and its daemons, sshd, cron and other common daemons.
// Policies include it with aliases.allow_defaults.
func DefaultAllowlist() []string {
	var out []string
	for _, g := range defaultAllowlist {
		out = append(out, g...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// DefaultAllowPatterns returns a copy of the built-in whole-name patterns
// of versioned interpreters and toolchains (python3.12, gcc-12, …).
func DefaultAllowPatterns() []string { return slices.Clone(defaultAllowPatterns) }
