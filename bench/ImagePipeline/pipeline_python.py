"""Reference-stack throughput for the same work the .NET benchmark times.

Usage: /usr/bin/python3 pipeline_python.py WORKLOAD FOLDER ROUNDS   (WORKLOAD: 512 or full)
Prints one JSON object with the images done and the seconds taken (wall and process CPU), single-threaded
(cv2.setNumThreads(1); Pillow is single-threaded). The .NET benchmark alternates rounds of both.

Work per image, as the reference pipeline does it (without its lossy JPEG re-encodes):
  512 px input : cv2.imread(GRAYSCALE) -> CLAHE(2.0, 8x8) -> Pillow Resize(256) BILINEAR -> centre crop 256
  full size    : Pillow open + resize((512, h)) BICUBIC -> CLAHE -> Resize(256) -> centre crop 256
"""
import json
import os
import sys
import time

import cv2
import numpy as np
from PIL import Image

cv2.setNumThreads(1)
CLAHE = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))


def slot(gray):
    img = Image.fromarray(gray)
    w, h = img.size
    if w <= h:
        size = (256, int(256 * h / w))
    else:
        size = (int(256 * w / h), 256)
    img = img.resize(size, Image.BILINEAR)
    w, h = img.size
    top, left = int(round((h - 256) / 2)), int(round((w - 256) / 2))
    return np.asarray(img.crop((left, top, left + 256, top + 256)))


def work_512(path):
    return slot(CLAHE.apply(cv2.imread(path, cv2.IMREAD_GRAYSCALE)))


def work_full(path):
    img = Image.open(path)
    w, h = img.size
    img = img.resize((512, int(h * (512 / w))))
    return slot(CLAHE.apply(np.asarray(img)))


def measure(folder, rounds, work):
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".jpg"))
    work(files[0])  # warm-up
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        for f in files:
            work(f)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"images": len(files) * rounds, "seconds": elapsed, "cpu_seconds": cpu, "images_per_second": len(files) * rounds / elapsed}


if __name__ == "__main__":
    workload, folder, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    result = measure(folder, rounds, work_512 if workload == "512" else work_full)
    result.update({"python": sys.version.split()[0], "opencv": cv2.__version__, "pillow": Image.__version__})
    print(json.dumps(result))
