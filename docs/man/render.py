#!/usr/bin/env python3
# render.py: make a man page from its scdoc source at build time (docs/man/meson.build).
#   render.py SCDOC SOURCE OUTPUT [LIUDONG]
# A line "@COMMANDS@" in SOURCE is replaced by what `LIUDONG __man` prints: every command of the
# CLI's table (client/cli.c) with its options, so liudong(1) lists exactly the commands it has.
import subprocess
import sys

scdoc, source, output = sys.argv[1:4]
liudong = sys.argv[4] if len(sys.argv) > 4 else None
with open(source, encoding="utf-8") as f:
    text = f.read()
if "@COMMANDS@" in text:
    if not liudong:
        sys.exit("render.py: %s has @COMMANDS@ but no liudong was given" % source)
    commands = subprocess.run([liudong, "__man"], check=True, capture_output=True,
                              text=True).stdout
    text = text.replace("@COMMANDS@\n", commands)
page = subprocess.run([scdoc], input=text, check=True, capture_output=True, text=True).stdout
with open(output, "w", encoding="utf-8") as f:
    f.write(page)
