# Behaviour shared by the fake local model scripts (Wan2.1 generate.py, Hunyuan inference.py):
# the JSON-lines call log, scripted failures, hangs and SIGTERM-ignoring process trees, and a real
# MP4 written with ffmpeg. Python 3 standard library only. Driven by FAKE_MODEL_* environment vars.
import json
import os
import signal
import subprocess
import sys
import time


def log_call(prog, **fields):
    """Appends one JSON line (program, argv, devices, extra fields) to $FAKE_MODEL_LOG, if set."""
    path = os.environ.get("FAKE_MODEL_LOG")
    if not path:
        return
    entry = {"prog": prog, "argv": sys.argv[1:], "cuda": os.environ.get("CUDA_VISIBLE_DEVICES"), "pid": os.getpid()}
    entry.update(fields)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


def _count(suffix):
    """Appends one byte to a counter file next to the log and returns how many were appended so far
    (O_APPEND keeps this right when runs happen at the same time)."""
    path = os.environ["FAKE_MODEL_LOG"] + suffix
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, b".")
    finally:
        os.close(fd)
    return os.path.getsize(path)


def scripted_behaviour():
    """Applies FAKE_MODEL_FAIL_TIMES, FAKE_MODEL_BARRIER, FAKE_MODEL_IGNORE_TERM and FAKE_MODEL_HANG."""
    fail_times = int(os.environ.get("FAKE_MODEL_FAIL_TIMES", "0"))
    if fail_times > 0 and os.environ.get("FAKE_MODEL_LOG"):
        run = _count(".runs")
        if run <= fail_times:
            sys.stderr.write("Traceback (most recent call last):\nRuntimeError: CUDA out of memory (fake failure %d of %d)\n" % (run, fail_times))
            sys.exit(1)

    # Wait until this many runs are in flight at once, so a test can prove they ran in parallel.
    barrier = int(os.environ.get("FAKE_MODEL_BARRIER", "0"))
    if barrier > 0 and os.environ.get("FAKE_MODEL_LOG"):
        _count(".barrier")
        deadline = time.monotonic() + 30
        path = os.environ["FAKE_MODEL_LOG"] + ".barrier"
        while os.path.getsize(path) < barrier:
            if time.monotonic() > deadline:
                sys.stderr.write("fake barrier: only %d of %d runs arrived\n" % (os.path.getsize(path), barrier))
                sys.exit(1)
            time.sleep(0.02)

    ignore_term = os.environ.get("FAKE_MODEL_IGNORE_TERM") == "1"
    if ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    if os.environ.get("FAKE_MODEL_HANG") == "1":
        if ignore_term:
            child = [sys.executable, "-c", "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True: time.sleep(1000)"]
        else:
            child = ["sleep", "1000"]
        grandchild = subprocess.Popen(child)
        pidfile = os.environ.get("FAKE_MODEL_PIDFILE")
        if pidfile:
            # Written whole and renamed, so a reader never sees half of it.
            with open(pidfile + ".tmp", "w", encoding="utf-8") as f:
                f.write("%d %d\n" % (os.getpid(), grandchild.pid))
            os.rename(pidfile + ".tmp", pidfile)
        sys.stderr.write("fake model: hanging\n")
        sys.stderr.flush()
        while True:
            time.sleep(1000)


def write_clip(path, seconds):
    """A real H.264 MP4 of the given length (160x90 test pattern at 12 fps)."""
    for step in range(1, 5):
        sys.stderr.write("%3d%%|%s| %d/4 [00:00<00:00]\n" % (step * 25, "#" * step, step))
    sys.stderr.flush()
    result = subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=12:d=%s" % seconds, "-pix_fmt", "yuv420p", path],
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        sys.stderr.write("fake model: ffmpeg failed\n")
        sys.exit(1)
