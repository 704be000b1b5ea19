#!/usr/bin/python3
"""A tiny read-only FUSE filesystem serving a fixed tree in which reading some files never
answers, to test reads stuck in the kernel (a hung NFS mount, /proc/<pid> of a process in D state).

Usage: /usr/bin/python3 hanging-read-fuse.py MOUNTPOINT TREE_JSON RELEASE_FILE

TREE_JSON maps file paths (relative, "/"-separated) to their contents, or to {"hang": TEXT}
for a file whose read blocks until RELEASE_FILE exists, then answers TEXT. Directories are
implied by the paths. Prints "ready" once mounted and "read <path>" for every read of a hanging
file, so a test can count them. Exits if the process that started it goes away. Built on
hanging-fuse.py (the release file, the watch on the parent). Run it in a private mount namespace
(unshare --mount --propagation private ...) so no other process sees the hang. Needs
/usr/bin/python3 (python3-fusepy is installed for the system interpreter only).
"""
import errno
import importlib.util
import json
import os
import stat
import sys
import time

import fusepy

_spec = importlib.util.spec_from_file_location('hanging_fuse', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'hanging-fuse.py'))
hanging_fuse = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hanging_fuse)

HANGING_SIZE = 4096


class HangingReads(hanging_fuse.HangingStatfs):
    def __init__(self, tree, release_file):
        super().__init__(release_file)
        # path -> (contents, hangs until released)
        self.files = {'/' + p.strip('/'): (c['hang'].encode(), True) if isinstance(c, dict) else (c.encode(), False)
                      for p, c in tree.items()}
        self.dirs = {'/'}
        for p in self.files:
            parts = p.split('/')[1:-1]
            for i in range(len(parts)):
                self.dirs.add('/' + '/'.join(parts[:i + 1]))

    def getattr(self, path, fh=None):
        now = time.time_ns()
        times = {'st_atime': now, 'st_mtime': now, 'st_ctime': now}
        if path in self.dirs:
            return {'st_mode': stat.S_IFDIR | 0o755, 'st_nlink': 2, **times}
        if path in self.files:
            content, hangs = self.files[path]
            size = HANGING_SIZE if hangs else len(content)
            return {'st_mode': stat.S_IFREG | 0o444, 'st_nlink': 1, 'st_size': size, **times}
        raise fusepy.FuseOSError(errno.ENOENT)

    def readdir(self, path, fh):
        prefix = path.rstrip('/') + '/'
        names = {p[len(prefix):].split('/')[0] for p in list(self.files) + list(self.dirs) if p.startswith(prefix) and p != prefix}
        return ['.', '..'] + sorted(names)

    def read(self, path, size, offset, fh):
        content, hangs = self.files.get(path, (b'', False))
        if hangs:
            print('read ' + path, flush=True)
            self.released.wait()
        return content[offset:offset + size]


def main():
    if len(sys.argv) != 4:
        sys.exit('usage: hanging-read-fuse.py MOUNTPOINT TREE_JSON RELEASE_FILE')
    with open(sys.argv[2]) as f:
        tree = json.load(f)
    # Multithreaded (the default), so other files are still served while reads hang.
    fusepy.FUSE(HangingReads(tree, sys.argv[3]), sys.argv[1], foreground=True, ro=True,
                fsname='hangingread', subtype='hangingread')


if __name__ == '__main__':
    main()
