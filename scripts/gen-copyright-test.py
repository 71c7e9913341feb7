#!/usr/bin/env python3
"""Tests of scripts/gen-copyright.py (scripts/test.sh runs them): the SPDX reading, which
crates of the real workspace count, and that --check fails on a stale file."""

import importlib.util
import io
import sys
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("gen_copyright", HERE / "gen-copyright.py")
gen = importlib.util.module_from_spec(spec)
sys.modules["gen_copyright"] = gen  # dataclasses look their module up there
spec.loader.exec_module(gen)


class Spdx(unittest.TestCase):
    def test_and_binds_tighter_than_or_and_with_tightest(self):
        tree = gen.parse_spdx("Apache-2.0 WITH LLVM-exception OR Apache-2.0 AND MIT")
        self.assertEqual(
            tree,
            gen.Op("OR", (gen.Leaf("Apache-2.0", "LLVM-exception"), gen.Op("AND", (gen.Leaf("Apache-2.0"), gen.Leaf("MIT"))))),
        )

    def test_parentheses_and_cargos_legacy_slash(self):
        self.assertEqual(gen.render(gen.parse_spdx("(MIT/Apache-2.0) AND Unicode-3.0"), gen.spdx_name), "(MIT OR Apache-2.0) AND Unicode-3.0")
        self.assertEqual(gen.render(gen.parse_spdx("((MIT))"), gen.spdx_name), "MIT")
        self.assertEqual(gen.parse_spdx("MIT OR (Apache-2.0 OR Zlib)"), gen.parse_spdx("MIT OR Apache-2.0 OR Zlib"))
        self.assertEqual(gen.parse_spdx("MIT or Apache-2.0"), gen.parse_spdx("MIT OR Apache-2.0"))

    def test_malformed_expressions_are_refused(self):
        for text in ["", "MIT OR", "MIT Apache-2.0", "(MIT", "MIT)", "MIT WITH", "MIT, Zlib", "AND MIT"]:
            with self.subTest(text=text), self.assertRaises(ValueError):
                gen.parse_spdx(text)

    def test_dep5_spells_exceptions_with_a_space(self):
        tree = gen.parse_spdx("Apache-2.0 WITH LLVM-exception OR MIT")
        self.assertEqual(gen.render(tree, gen.dep5_name), "Apache-2.0 with LLVM exception OR MIT")

    def test_rpm_tag_merges_the_same_terms_in_any_order(self):
        crates = [
            gen.Crate("a", "1", "", gen.parse_spdx("MIT OR Apache-2.0"), [], "linked"),
            gen.Crate("b", "1", "", gen.parse_spdx("Apache-2.0 OR MIT"), [], "linked"),
            gen.Crate("c", "1", "", gen.parse_spdx("(MIT OR Apache-2.0) AND Unicode-3.0"), [], "linked"),
            gen.Crate("d", "1", "", gen.parse_spdx("GPL-2.0-or-later AND Zlib"), [], "linked"),
        ]
        self.assertEqual(gen.rpm_license(crates), "GPL-2.0-or-later AND (Apache-2.0 OR MIT) AND Unicode-3.0 AND Zlib")


class Texts(unittest.TestCase):
    def test_a_licence_without_a_text_stops_the_generator_naming_the_crate(self):
        with self.assertRaises(gen.Failure) as e:
            gen.license_text(gen.Leaf("BSD-3-Clause"), ["somecrate"])
        self.assertIn("somecrate uses the licence BSD-3-Clause", str(e.exception))
        self.assertIn("scripts/licenses/BSD-3-Clause", str(e.exception))

    def test_apache_is_a_common_licence_reference_never_the_full_text(self):
        text = gen.license_text(gen.Leaf("Apache-2.0", "LLVM-exception"), ["x"])
        self.assertIn('"/usr/share/common-licenses/Apache-2.0"', text)
        self.assertIn("Sections 4(a), 4(b) and 4(d)", text)
        self.assertNotIn("TERMS AND CONDITIONS FOR USE", text)

    def test_holders_from_notices_then_authors(self):
        with tempfile.TemporaryDirectory() as d:
            root = Path(d)
            (root / "Cargo.toml").write_text("")
            (root / "LICENSE-MIT").write_text("Copyright (c) 2016--2017\n\nPermission is hereby granted\n")
            (root / "LICENSE-APACHE").write_text("   Copyright [yyyy] [name of copyright owner]\n")
            (root / "COPYRIGHT").write_text("Copyright © 2020 Jane Roe\nCopyrights are kept by contributors\n")
            package = {"name": "x", "manifest_path": str(root / "Cargo.toml"), "authors": ["Jane Roe <jane@example.org>", "John Doe"]}
            self.assertEqual(gen.holders_of(package), ["2020 Jane Roe", "2016--2017 The x authors", "John Doe"])
            (root / "COPYRIGHT").unlink()
            (root / "LICENSE-MIT").unlink()
            self.assertEqual(gen.holders_of({**package, "authors": []}), ["The x authors"])


class Workspace(unittest.TestCase):
    """The selection rules, on the real workspace and Cargo.lock."""

    @classmethod
    def setUpClass(cls):
        cls.crates = {c.name: c for c in gen.crates()}

    def test_linked_crates_and_macros_are_listed_with_their_role(self):
        self.assertEqual(self.crates["nix"].role, "linked")
        self.assertEqual(self.crates["serde_derive"].role, "proc-macro")
        self.assertEqual(self.crates["thiserror-impl"].role, "proc-macro")
        self.assertEqual(self.crates["syn"].role, "macro-dependency")

    def test_a_crate_only_some_architectures_link_is_listed(self):
        # rustix uses errno where it calls libc (ppc64el, s390x, mips64el), not on amd64.
        self.assertIn("errno", self.crates)

    def test_build_test_and_docgen_dependencies_are_not(self):
        for name in ["bindgen", "cfg_aliases", "insta", "proptest", "criterion", "clap", "clap_mangen"]:
            with self.subTest(crate=name):
                self.assertNotIn(name, self.crates)
        for name in ["o2cb", "cluster-conf", "docgen"]:
            with self.subTest(workspace_member=name):
                self.assertNotIn(name, self.crates)

    def test_every_listed_crate_is_in_cargo_lock(self):
        lock = (gen.REPO / "Cargo.lock").read_text()
        for c in self.crates.values():
            with self.subTest(crate=c.name):
                self.assertIn(f'name = "{c.name}"\nversion = "{c.version}"\n', lock)

    def check(self, copyright_text, spec_text):
        with tempfile.TemporaryDirectory() as d:
            copyright_path, spec_path = Path(d) / "copyright", Path(d) / "o2cb-rs.spec"
            copyright_path.write_text(copyright_text)
            spec_path.write_text(spec_text)
            out, err = io.StringIO(), io.StringIO()
            with redirect_stdout(out), redirect_stderr(err):
                status = gen.main(["--check", "--copyright", str(copyright_path), "--spec", str(spec_path)])
            return status, out.getvalue(), err.getvalue()

    def test_check_fails_when_a_crate_is_missing(self):
        text = gen.COPYRIGHT.read_text()
        paragraphs = text.split("\n\n")
        without = "\n\n".join(p for p in paragraphs if not p.startswith("Files: vendor/nix-"))
        self.assertNotEqual(without, text)
        status, out, err = self.check(without, gen.SPEC.read_text())
        self.assertEqual(status, 1)
        self.assertIn("+Files: vendor/nix-", out)
        self.assertIn("out of date with Cargo.lock", err)

    def test_check_fails_when_the_rpm_license_disagrees(self):
        spec = gen.SPEC.read_text()
        stale = "".join("License:        GPL-2.0-or-later\n" if line.startswith("License:") else line for line in spec.splitlines(True))
        status, out, _ = self.check(gen.COPYRIGHT.read_text(), stale)
        self.assertEqual(status, 1)
        self.assertIn("-License:        GPL-2.0-or-later\n", out)

    def test_check_passes_on_the_committed_files(self):
        status, out, err = self.check(gen.COPYRIGHT.read_text(), gen.SPEC.read_text())
        self.assertEqual((status, err), (0, ""), out)


if __name__ == "__main__":
    unittest.main()
