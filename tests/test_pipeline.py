"""The process graph behind renders: failures are reported by name and never hang a build."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

import pytest

from podcast.audio.pipeline import ProcessGraph
from podcast.errors import ToolError

NOISE = ["-f", "lavfi", "-i", "anoisesrc=d=20:r=48000", "-f", "f32le"]


def _ffmpeg(*args: str) -> list[str]:
    return ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", *args]


def test_a_failing_reader_neither_hangs_nor_hides_the_error(tmp_path: Path) -> None:
    def give_up(stream: IO[bytes]) -> None:
        stream.read(1000)
        raise ValueError("meter broke")

    with ProcessGraph("episode.md", tmp_path) as graph, pytest.raises(ToolError) as caught:
        source = graph.start("decoding", _ffmpeg(*NOISE, "pipe:1"), capture_stdout=True)
        assert source.process.stdout is not None
        graph.read("measuring", source.process.stdout, give_up)
        graph.wait()
    assert "episode.md: measuring failed: meter broke" in str(caught.value)


def test_the_failing_process_is_named_not_the_one_whose_pipe_broke(tmp_path: Path) -> None:
    with ProcessGraph("episode.md", tmp_path) as graph, pytest.raises(ToolError) as caught:
        pipe = graph.pipe()
        graph.start(
            "rendering", _ffmpeg(*NOISE, f"pipe:{pipe.write_end}"), pass_fds=(pipe.write_end,)
        )
        graph.start(
            "encoding podcast.mp3",
            _ffmpeg("-f", "f32le", "-i", "pipe:0", "-c:a", "no-such-encoder", "out.mp3"),
            stdin=pipe.read_end,
        )
        graph.wait()
    message = str(caught.value)
    assert message.startswith("episode.md: encoding podcast.mp3 failed:")
    assert "no-such-encoder" in message


def test_pipes_are_closed_after_the_graph(tmp_path: Path) -> None:
    before = len(os.listdir("/proc/self/fd"))
    with ProcessGraph("x", tmp_path) as graph:
        source = graph.start("decoding", _ffmpeg(*NOISE, "pipe:1"), capture_stdout=True)
        assert source.process.stdout is not None
        box = graph.read("counting", source.process.stdout, lambda s: len(s.read()))
        graph.wait()
    assert box == [20 * 48000 * 4]
    assert len(os.listdir("/proc/self/fd")) == before
