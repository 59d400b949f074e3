"""The byte streams between ModelClient and a runner process, with deadlines.

ModelClient talks to any object with this shape (a backend only supplies one of these):

    started_at                  time.monotonic() when the process was started
    write_line(data, deadline)  send one request line; raises Timeout or StreamClosed
    read_line(deadline)         the next reply line (bytes, "\\n" included), None once the
                                process closed its output; raises Timeout, or Flooded once
                                the process wrote more lines than it was asked for
    wait_exit(timeout)          the exit status once the process ended (negative: the signal),
                                None if it still runs; the stderr tail is complete after it
    stderr_tail(max_bytes)      the last lines of the process's stderr (str)
    memory_exceeded()           True when the backend stopped the process for its memory use
    peak_memory_mb()            the highest memory use seen, or None
    close()                     kill every process of the run and release its resources

PipeTransport implements it over a subprocess's pipes; backends subclass it for kill/memory.
The docker backend's transport (a container's attach socket) shares the helpers below.
"""

import fcntl
import os
import queue
import selectors
import signal
import struct
import subprocess
import termios
import threading
import time

STDERR_KEEP_BYTES = 64 * 1024
STDERR_CATCH_UP_SECONDS = 0.2


def last_lines(data, max_bytes):
    """The end of a log (at most max_bytes), starting at a whole line, as text."""
    data = bytes(data[-max_bytes:])
    if len(data) == max_bytes and b"\n" in data:
        data = data[data.index(b"\n") + 1 :]
    return data.decode("utf-8", errors="replace")


def bytes_waiting(fd):
    """How many bytes a pipe or socket holds that nobody has read yet (0 if it is gone)."""
    try:
        pending = fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0")
    except (OSError, ValueError):
        return 0
    return struct.unpack("i", pending)[0]


class Timeout(Exception):
    pass


class StreamClosed(Exception):
    pass


class Flooded(Exception):
    """The process wrote more to its reply stream than it was asked for."""


MAX_UNREAD_LINES = 8
FLOODED = object()  # queued after the last line a reader thread kept


class ReplyLines:
    """The reply lines a reader thread took from a runner's output, until read_line takes them.

    One request gets one reply, so an honest runner has one line unread at most. A process that
    writes more while nobody asks is flooding the stream (measured, unbounded: 2.9 million short
    lines, 158 MB of this process's memory, in 3 s), so the lines kept unread are bounded: past
    MAX_UNREAD_LINES lines or two replies' worth of bytes, put() refuses (the reader stops
    reading; the process blocks or its output is dropped) and reads raise Flooded once the kept
    lines are taken.
    """

    def __init__(self, max_line_bytes):
        self._queue = queue.Queue()
        self._max_unread_bytes = 2 * (max_line_bytes + 1)
        self._put_lines = self._put_bytes = 0  # counted by the reader thread only
        self._got_lines = self._got_bytes = 0  # counted by get() only
        self._finished = False  # get() saw the end or the flood: every later get() sees it too
        self._flooded = False

    def put(self, line):
        """Keep one line; False when the unread lines are over the bound and it was not kept."""
        unread_lines = self._put_lines - self._got_lines
        unread_bytes = self._put_bytes - self._got_bytes
        if unread_lines >= MAX_UNREAD_LINES or unread_bytes + len(line) > self._max_unread_bytes:
            self._queue.put(FLOODED)
            return False
        self._put_lines += 1
        self._put_bytes += len(line)
        self._queue.put(line)
        return True

    def end(self):
        """The output ended (after the last line kept)."""
        self._queue.put(None)

    def get(self, deadline):
        """The next line, None once the output ended; raises Timeout or Flooded."""
        if not self._finished:
            try:
                line = self._queue.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise Timeout() from None
            if line is not None and line is not FLOODED:
                self._got_lines += 1
                self._got_bytes += len(line)
                return line
            self._finished, self._flooded = True, line is FLOODED
        if self._flooded:
            raise Flooded()
        return None


def write_all(stream, write, data, deadline):
    """Write all of data through a non-blocking `write` as `stream` (a file descriptor or a
    socket) takes it; Timeout at the deadline, StreamClosed once the other end is gone."""
    view = memoryview(data)
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_WRITE)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Timeout()
            if not selector.select(remaining):
                continue
            try:
                written = write(view)
            except BlockingIOError:
                continue
            except OSError as error:  # BrokenPipeError, ConnectionResetError, ...
                raise StreamClosed() from error
            view = view[written:]


class PipeTransport:
    """A runner in its own process group (start it with start_new_session=True) on pipes."""

    def __init__(self, process, *, max_line_bytes):
        self.process = process
        self.pid = process.pid
        self.started_at = time.monotonic()
        self.max_line_bytes = max_line_bytes
        self._lines = ReplyLines(max_line_bytes)
        self._stderr = bytearray()
        self._stderr_lock = threading.Lock()
        self._closed = False
        os.set_blocking(process.stdin.fileno(), False)
        self._stdout_thread = self._thread(self._read_stdout, "stdout")
        self._stderr_thread = self._thread(self._drain_stderr, "stderr")

    def _thread(self, target, name):
        thread = threading.Thread(target=target, name=f"sandbox-{self.pid}-{name}", daemon=True)
        thread.start()
        return thread

    def _read_stdout(self):
        stream = self.process.stdout
        try:
            while True:
                # One byte more than the limit: enough to tell an oversize line from a full one.
                line = stream.readline(self.max_line_bytes + 1)
                if line.endswith(b"\n"):
                    if not self._lines.put(line):
                        return  # flooded: the process blocks on the full pipe until killed
                elif len(line) > self.max_line_bytes:
                    self._lines.put(line)  # the reader rejects it; the stream is out of step now
                    return
                else:
                    break  # end of output (a partial last line means the process died mid-write)
        except (OSError, ValueError):
            pass
        self._lines.end()

    def _drain_stderr(self):
        fd = self.process.stderr.fileno()
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(fd, selectors.EVENT_READ)
                while True:
                    selector.select()
                    # Read and keep under the lock, so stderr_tail can wait for what is pending.
                    with self._stderr_lock:
                        chunk = os.read(fd, 65536)
                        if not chunk:
                            return
                        self._stderr += chunk
                        del self._stderr[:-STDERR_KEEP_BYTES]
        except (OSError, ValueError):
            pass

    def _stderr_pending(self):
        """Bytes written to stderr that the drain has not taken yet."""
        try:
            return bytes_waiting(self.process.stderr.fileno())
        except ValueError:  # the pipe was closed
            return 0

    def write_line(self, data, deadline):
        fd = self.process.stdin.fileno()
        write_all(fd, lambda view: os.write(fd, view), data, deadline)

    def read_line(self, deadline):
        return self._lines.get(deadline)

    def wait_exit(self, timeout):
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        # The last words of a crash may still be in the pipe.
        self._stderr_thread.join(timeout=1.0)
        return code

    def stderr_tail(self, max_bytes=20_000):
        # What the process wrote before its last reply may still sit in the pipe: let the drain
        # take it (a process that writes all the time gets a short wait at most).
        deadline = time.monotonic() + STDERR_CATCH_UP_SECONDS
        while self._stderr_pending() and time.monotonic() < deadline:
            time.sleep(0.002)
        with self._stderr_lock:
            return last_lines(self._stderr, max_bytes)

    def memory_exceeded(self):
        return False

    def peak_memory_mb(self):
        return None

    def kill(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self):
        if self._closed:
            return
        self._closed = True
        self.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self._stderr_thread.join(timeout=1.0)
        self._stdout_thread.join(timeout=1.0)
        streams = [
            (self.process.stdin, None),
            (self.process.stdout, self._stdout_thread),
            (self.process.stderr, self._stderr_thread),
        ]
        for stream, reader in streams:
            # A reader still blocked (a process that left the group holds the pipe) keeps its
            # stream: closing it under the reader could block on the stream's lock.
            if reader is None or not reader.is_alive():
                try:
                    stream.close()
                except OSError:
                    pass
