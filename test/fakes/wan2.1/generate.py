#!/usr/bin/env python3
# Fake Wan2.1 generate.py for tests: accepts the real script's flags (argparse; an unknown flag exits
# 2), logs its argv and CUDA_VISIBLE_DEVICES to $FAKE_MODEL_LOG, and writes a real MP4 of
# frame_num/16 seconds to --save_file. FAKE_MODEL_* switches: see fake_model.py.
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import fake_model  # noqa: E402

TASKS = ["t2v-14B", "t2v-1.3B", "i2v-14B", "flf2v-14B", "t2i-14B", "vace-1.3B", "vace-14B"]


def parse():
    p = argparse.ArgumentParser(description="fake Wan2.1 generate.py")
    p.add_argument("--task", choices=TASKS, default="t2v-14B")
    p.add_argument("--size", default="1280*720")
    p.add_argument("--frame_num", type=int, default=None)
    p.add_argument("--ckpt_dir", default=None)
    p.add_argument("--offload_model", default=None)
    p.add_argument("--ulysses_size", type=int, default=1)
    p.add_argument("--ring_size", type=int, default=1)
    p.add_argument("--t5_fsdp", action="store_true", default=False)
    p.add_argument("--t5_cpu", action="store_true", default=False)
    p.add_argument("--dit_fsdp", action="store_true", default=False)
    p.add_argument("--save_file", default=None)
    p.add_argument("--src_video", default=None)
    p.add_argument("--src_mask", default=None)
    p.add_argument("--src_ref_images", default=None)
    p.add_argument("--prompt", default=None)
    p.add_argument("--use_prompt_extend", action="store_true", default=False)
    p.add_argument("--prompt_extend_method", default="local_qwen", choices=["dashscope", "local_qwen"])
    p.add_argument("--prompt_extend_model", default=None)
    p.add_argument("--prompt_extend_target_lang", default="zh", choices=["zh", "en"])
    p.add_argument("--base_seed", type=int, default=-1)
    p.add_argument("--image", default=None)
    p.add_argument("--first_frame", default=None)
    p.add_argument("--last_frame", default=None)
    p.add_argument("--sample_solver", default="unipc", choices=["unipc", "dpm++"])
    p.add_argument("--sample_steps", type=int, default=None)
    p.add_argument("--sample_shift", type=float, default=None)
    p.add_argument("--sample_guide_scale", type=float, default=5.0)
    args = p.parse_args()
    # The checks the real script makes before loading a model.
    if args.ckpt_dir is None:
        p.error("Please specify the checkpoint directory.")
    if "*" not in args.size:
        p.error("--size must look like 1280*720")
    if args.task == "i2v-14B" and not args.image:
        p.error("--image is required for i2v")
    if args.task == "flf2v-14B" and not (args.first_frame and args.last_frame):
        p.error("--first_frame and --last_frame are required for flf2v")
    for image in (args.image, args.first_frame, args.last_frame):
        if image and not os.path.isfile(image):
            p.error("image not found: %s" % image)
    if not args.save_file:
        p.error("--save_file is required by this fake")
    return args


def main():
    args = parse()
    fake_model.log_call("generate.py")
    fake_model.scripted_behaviour()
    frames = args.frame_num if args.frame_num is not None else 81
    fake_model.write_clip(args.save_file, "%.4f" % (frames / 16.0))


if __name__ == "__main__":
    main()
