#!/usr/bin/python3
"""The Debian package as a user gets it: built with cpack, unpacked into a
throwaway root (dpkg -x), and its proctree, man page, completions, unit and
metadata checked there. The unpacked binary runs with the source and build
trees hidden (a tmpfs over them in a private mount namespace), so it needs
nothing from them: the eBPF object is embedded."""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ARGS = None
ROOT = None   # the unpacked package
DEB = None
TMP = None


def run(argv, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("timeout", 120)
    return subprocess.run(argv, **kw)


def installed(path):
    return os.path.join(ROOT, path.lstrip("/"))


def setUpModule():
    global ROOT, DEB, TMP
    TMP = tempfile.mkdtemp(prefix="proctree-pkg-")
    out = os.path.join(TMP, "out")
    r = run(["cpack", "-G", "DEB", "-B", out], cwd=ARGS.build, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("cpack failed:\n" + r.stdout.decode() + r.stderr.decode())
    debs = glob.glob(os.path.join(out, "proctree_*_amd64.deb"))
    if len(debs) != 1:
        raise RuntimeError(f"expected one proctree_VERSION_amd64.deb in {out}, found {os.listdir(out)}")
    DEB = debs[0]
    ROOT = os.path.join(TMP, "root")
    r = run(["dpkg", "-x", DEB, ROOT])
    if r.returncode != 0:
        raise RuntimeError("dpkg -x failed: " + r.stderr.decode())


def tearDownModule():
    if TMP:
        shutil.rmtree(TMP, ignore_errors=True)


class Package(unittest.TestCase):
    def field(self, name):
        return run(["dpkg-deb", "-f", DEB, name]).stdout.decode().strip()

    def test_file_name_and_metadata(self):
        self.assertEqual(os.path.basename(DEB), f"proctree_{ARGS.version}_amd64.deb")
        self.assertEqual(self.field("Package"), "proctree")
        self.assertEqual(self.field("Version"), ARGS.version)
        self.assertEqual(self.field("Architecture"), "amd64")
        description = self.field("Description")
        self.assertGreater(len(description.splitlines()), 3, "a synopsis and an extended description")

    def test_depends_come_from_the_binary(self):
        depends = [d.strip().split()[0] for d in self.field("Depends").split(",")]
        # What dpkg-shlibdeps says the installed binary needs, computed here.
        with tempfile.TemporaryDirectory() as tmp:
            os.makedirs(os.path.join(tmp, "debian"))
            with open(os.path.join(tmp, "debian", "control"), "w") as f:
                f.write("Source: proctree\n\nPackage: proctree\nArchitecture: any\n")
            r = run(["dpkg-shlibdeps", "-O", installed("/usr/bin/proctree")], cwd=tmp)
            self.assertEqual(r.returncode, 0, r.stderr)
            want = re.sub(r"^shlibs:Depends=", "", r.stdout.decode().strip())
        self.assertEqual(sorted(depends), sorted(d.strip().split()[0] for d in want.split(",")))
        for lib in ("libc6", "libncursesw6", "libfmt9", "libstdc++6"):
            self.assertIn(lib, depends)
        if ARGS.ebpf:
            self.assertIn("libbpf1", depends)
        self.assertFalse([d for d in depends if d.endswith("-dev")], depends)

    def test_no_maintainer_scripts(self):
        with tempfile.TemporaryDirectory() as tmp:
            run(["dpkg-deb", "-e", DEB, tmp], check=True)
            self.assertEqual(sorted(os.listdir(tmp)), ["control", "md5sums"])

    def test_lintian_finds_no_error_and_no_warning(self):
        r = run(["lintian", "--no-cfg", DEB], timeout=300)
        tags = [l for l in r.stdout.decode().splitlines() if re.match(r"^[EW]: ", l)]
        self.assertEqual(tags, [], r.stdout.decode() + r.stderr.decode())

    def test_files_where_debian_looks(self):
        for path in ("/usr/bin/proctree", "/usr/share/man/man1/proctree.1.gz",
                     "/usr/share/bash-completion/completions/proctree",
                     "/usr/share/zsh/vendor-completions/_proctree",
                     "/usr/share/doc/proctree/README.md", "/usr/share/doc/proctree/wire-format.md",
                     "/usr/share/doc/proctree/windows-driver.md", "/usr/share/doc/proctree/copyright",
                     "/lib/systemd/system/proctree-record.service"):
            self.assertTrue(os.path.isfile(installed(path)), path)
        windows = sorted(os.listdir(installed("/usr/share/proctree/windows"))) \
            if os.path.isdir(installed("/usr/share/proctree/windows")) else []
        self.assertEqual(windows, ["proctree-agent.exe", "proctree.inf", "proctree.sys"] if ARGS.windows else [])


class InstalledBinary(unittest.TestCase):
    def hidden_trees(self, *argv):
        """Runs the unpacked proctree with the source and build trees hidden."""
        # The build tree first: it may lie inside the source tree.
        hide = " && ".join(f"mount -t tmpfs none {d}" for d in (ARGS.build, ARGS.source))
        script = f"{hide} && exec \"$@\""
        return run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                    installed("/usr/bin/proctree"), *argv])

    def test_version(self):
        r = run([installed("/usr/bin/proctree"), "--version"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode().strip(), f"proctree {ARGS.version}")

    def test_help_ends_with_examples_and_the_man_page(self):
        for command in ([], ["record"], ["snapshot"], ["decode"]):
            r = run([installed("/usr/bin/proctree"), *command, "--help"])
            self.assertEqual(r.returncode, 0, r.stderr)
            text = r.stdout.decode()
            self.assertIn("Examples:\n  ", text)
            self.assertTrue(text.rstrip().endswith("See man proctree for the viewer's keys, exit statuses, "
                                                   "files and environment."), text[-300:])

    def test_snapshot_without_source_or_build_tree(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to hide the trees with a private mount namespace")
        self.assertTrue(os.path.isdir(os.path.join(ARGS.source, "tui")))
        r = self.hidden_trees("snapshot", "--pid", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("# filter: pid=1", r.stdout.decode())
        self.assertRegex(r.stdout.decode(), r"(?m)^ +1 +\S", "pid 1 is the tree's first row")

    def test_ebpf_recording_without_source_or_build_tree(self):
        if not ARGS.ebpf:
            self.skipTest("built without the eBPF collector")
        if os.geteuid() != 0:
            self.skipTest("needs root")
        out = os.path.join(TMP, "ebpf.ptr")
        r = self.hidden_trees("record", "--source", "ebpf", "--duration", "0.5", "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run([installed("/usr/bin/proctree"), "decode", out])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"source":"ebpf"', r.stdout.decode().splitlines()[0])


class ManPage(unittest.TestCase):
    def test_renders_without_warnings_and_covers_everything(self):
        env = dict(os.environ, MANWIDTH="80", LANG="C.UTF-8")
        r = run(["man", "--warnings", "-l", installed("/usr/share/man/man1/proctree.1.gz")], env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.decode(), "", "man --warnings prints nothing")
        text = r.stdout.decode()
        for section in ("SYNOPSIS", "VIEWER OPTIONS", "COMMANDS", "KEYS", "FLIGHT RECORDER", "EXIT STATUS",
                        "ENVIRONMENT", "FILES", "EXAMPLES"):
            self.assertRegex(text, rf"(?m)^{section}$")
        # Generated from the command line itself: every option --help lists.
        for command in ([], ["record"], ["snapshot"], ["decode"]):
            help_text = run([installed("/usr/bin/proctree"), *command, "--help"]).stdout.decode()
            for option in re.findall(r"(?m)^  (?:-\w,)?(--[\w-]+)", help_text):
                self.assertIn(option, text, f"{option} of {command or 'the viewer'}")
        for key in ("PgUp/PgDn", "Esc", "?"):
            self.assertIn(key, text)


class Completions(unittest.TestCase):
    def complete(self, line, with_bash_completion=True):
        words = line.split(" ")
        loader = "source /usr/share/bash-completion/bash_completion; " if with_bash_completion else ""
        script = (f"{loader}source {installed('/usr/share/bash-completion/completions/proctree')}; "
                  "complete -p proctree; COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); "
                  "COMP_LINE=\"$*\"; COMP_POINT=${#COMP_LINE}; _proctree; printf '%s\\n' \"${COMPREPLY[@]}\"")
        r = run(["bash", "-c", script, "bash", *words])
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(lines[0], "complete -F _proctree proctree")
        return lines[1:]

    def test_bash_subcommands_options_and_values(self):
        for loaded in (True, False):
            self.assertEqual(self.complete("proctree rec", loaded), ["record"])
            self.assertEqual(self.complete("proctree record --rot", loaded), ["--rotate-mb"])
            self.assertEqual(sorted(self.complete("proctree --source ", loaded)), ["auto", "ebpf", "netlink", "poll"])
            self.assertEqual(self.complete("proctree snapshot --format j", loaded), ["json"])

    def test_zsh_finds_the_completion(self):
        dump = os.path.join(TMP, "zcompdump")
        script = (f"fpath=({installed('/usr/share/zsh/vendor-completions')} $fpath); "
                  f"autoload -Uz compinit; compinit -u -d {dump}; print -r -- $_comps[proctree]")
        r = run(["zsh", "-f", "-c", script])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode().strip(), "_proctree")
        r = run(["zsh", "-n", installed("/usr/share/zsh/vendor-completions/_proctree")])
        self.assertEqual(r.returncode, 0, r.stderr)


class Service(unittest.TestCase):
    def test_unit_verifies_and_records_into_var_lib(self):
        with open(installed("/lib/systemd/system/proctree-record.service")) as f:
            unit = f.read()
        self.assertIn("ExecStart=/usr/bin/proctree record --rotate-mb 64 --keep 8 -o /var/lib/proctree/", unit)
        self.assertIn("StateDirectory=proctree", unit)
        # systemd-analyze checks the unit, with ExecStart pointing at the unpacked binary.
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "proctree-record.service")
            with open(path, "w") as f:
                f.write(unit.replace("/usr/bin/proctree", installed("/usr/bin/proctree")))
            r = run(["systemd-analyze", "verify", "--man=no", path])
            self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--build", required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--ebpf", type=lambda s: s.upper() in ("ON", "1", "TRUE"), default=False)
    p.add_argument("--windows", type=lambda s: s.upper() in ("ON", "1", "TRUE"), default=False)
    ARGS, rest = p.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
