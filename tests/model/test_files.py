import os
import stat

import pytest
from salur.model.files import replaced_on_success


def test_the_new_content_replaces_the_file_and_keeps_its_mode(tmp_path):
    target = tmp_path / "gold.csv"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    with replaced_on_success(target) as handle:
        handle.write("new\n")
        # Until the block ends, readers still see the old file.
        assert target.read_text() == "old\n"
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["gold.csv"]


def test_a_failure_inside_the_block_leaves_the_old_file_and_no_draft(tmp_path):
    target = tmp_path / "gold.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), replaced_on_success(target) as handle:
        handle.write("half")
        raise RuntimeError("crash while writing")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["gold.csv"]


def test_a_new_file_gets_the_umask_mode_not_a_private_one(tmp_path):
    previous = os.umask(0o022)
    try:
        with replaced_on_success(tmp_path / "out.csv") as handle:
            handle.write("x\n")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "out.csv").stat().st_mode) == 0o644
