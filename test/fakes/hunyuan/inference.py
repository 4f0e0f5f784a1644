#!/usr/bin/env python3
# Fake HunyuanVideo inference.py for tests: accepts the flags the Python pipeline passed (argparse;
# an unknown flag exits 2), logs its argv and CUDA_VISIBLE_DEVICES to $FAKE_MODEL_LOG, and writes a
# real 1 s MP4 to --save-path. FAKE_MODEL_* switches: see ../wan2.1/fake_model.py.
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "wan2.1"))
import fake_model  # noqa: E402


def main():
    p = argparse.ArgumentParser(description="fake HunyuanVideo inference.py")
    p.add_argument("--cfg-path", required=True)
    p.add_argument("--ckpt-path", required=True)
    p.add_argument("--source-image", required=True)
    p.add_argument("--prompt", required=True)
    p.add_argument("--save-path", required=True)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--fps", type=int, default=16)
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args()
    for path in (args.cfg_path, args.ckpt_path, args.source_image):
        if not os.path.isfile(path):
            p.error("not found: %s" % path)
    fake_model.log_call("inference.py")
    fake_model.scripted_behaviour()
    fake_model.write_clip(args.save_path, "1")


if __name__ == "__main__":
    main()
