#!/usr/bin/python3
"""A tiny FUSE filesystem whose statfs never answers, to test hung mounts (an NFS server gone away).

Usage: /usr/bin/python3 hanging-fuse.py MOUNTPOINT [RELEASE_FILE]

Runs in the foreground until killed. The root directory answers getattr/readdir normally;
statfs blocks until RELEASE_FILE exists (never, without one), then answers with fixed
values, so a test can also watch a stuck mount recover. Prints "ready" once mounted and
"statfs" for every statfs call it receives, so a test can count them. Exits if the
process that started it goes away. Run it in a private mount namespace
(unshare --mount --propagation private ...) so no other process on the machine sees the hang.
Needs /usr/bin/python3 (python3-fusepy is installed for the system interpreter only).
"""
import errno
import os
import stat
import sys
import threading
import time

import fusepy

POLL_SECONDS = 0.05

# What statfs answers once released: 4 KiB blocks, 1000 of them, 250 free, 200 available.
RELEASED_STATFS = {
    'f_bsize': 4096, 'f_frsize': 4096, 'f_blocks': 1000, 'f_bfree': 250, 'f_bavail': 200,
    'f_files': 64, 'f_ffree': 32, 'f_favail': 32, 'f_namemax': 255,
}


class HangingStatfs(fusepy.Operations):
    use_ns = True

    def __init__(self, release_file):
        self.released = threading.Event()
        self.release_file = release_file
        self.parent = os.getppid()
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self):
        while True:
            if self.release_file and os.path.exists(self.release_file):
                self.released.set()
            # The test that started us is gone: do not leave a hung mount behind.
            if os.getppid() != self.parent:
                os._exit(1)
            time.sleep(POLL_SECONDS)

    def init(self, path):
        print('ready', flush=True)

    def getattr(self, path, fh=None):
        if path != '/':
            raise fusepy.FuseOSError(errno.ENOENT)
        now = time.time_ns()
        return {'st_mode': stat.S_IFDIR | 0o755, 'st_nlink': 2, 'st_atime': now, 'st_mtime': now, 'st_ctime': now}

    def readdir(self, path, fh):
        return ['.', '..']

    def statfs(self, path):
        print('statfs', flush=True)
        self.released.wait()
        return RELEASED_STATFS


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit('usage: hanging-fuse.py MOUNTPOINT [RELEASE_FILE]')
    release_file = sys.argv[2] if len(sys.argv) == 3 else None
    # Multithreaded (the default), so getattr is still served while a statfs hangs.
    fusepy.FUSE(HangingStatfs(release_file), sys.argv[1], foreground=True, ro=True,
                fsname='hangingfuse', subtype='hanging')


if __name__ == '__main__':
    main()
