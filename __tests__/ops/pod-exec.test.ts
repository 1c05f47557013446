// Reading a file in a pod through the API server's exec: every way the exec ends settles the read.
import { EventEmitter } from "events";
import type { Writable } from "stream";
import { podCommandOutput, type PodExec } from "../../tools/ops/kube";

/** An exec that writes what it is given, then reports a status, closes, or does nothing at all. */
function fakeExec(then: { out?: string; err?: string; status?: string; close?: boolean }): PodExec {
  return {
    async exec(_ns, _pod, _container, _command, stdout: Writable, stderr: Writable, _stdin, _tty, status) {
      const socket = new EventEmitter();
      setImmediate(() => {
        if (then.out) stdout.write(then.out);
        if (then.err) stderr.write(then.err);
        setImmediate(() => {
          if (then.status) status({ status: then.status, message: "command terminated" });
          if (then.close) socket.emit("close");
        });
      });
      return socket;
    },
  };
}

describe("a command's output from a pod", () => {
  test("is what it printed when it succeeds; undefined for a file that is not there", async () => {
    await expect(podCommandOutput(fakeExec({ out: "value", status: "Success", close: true }), "ns", "pod-1", "app", ["cat", "/f"])).resolves.toBe("value");
    await expect(podCommandOutput(fakeExec({ err: "cat: /f: No such file or directory", status: "Failure", close: true }), "ns", "pod-1", "app", ["cat", "/f"])).resolves.toBeUndefined();
  });

  test("fails, naming the pod, when the connection closes without an exit status (the pod went away), instead of waiting for ever", async () => {
    await expect(podCommandOutput(fakeExec({ close: true }), "ns", "pod-1", "app", ["cat", "/f"])).rejects.toThrow("cat in pod-1: the connection closed without an exit status");
  });

  test("fails after its timeout when nothing answers", async () => {
    await expect(podCommandOutput(fakeExec({}), "ns", "pod-1", "app", ["cat", "/f"], 0.05)).rejects.toThrow("cat in pod-1: no answer within 0.05 s");
  });
});
