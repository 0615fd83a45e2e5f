import { EventEmitter } from "node:events";
import { abortWhenClientGoes } from "./standalone-forwarder";

/** The two members of a response the helper reads. */
function fakeResponse(): EventEmitter & { writableFinished: boolean } {
  return Object.assign(new EventEmitter(), { writableFinished: false });
}

describe("abortWhenClientGoes", () => {
  it("does not abort the upstream call after a normal end of the response", () => {
    const response = fakeResponse();
    const abort = abortWhenClientGoes(response);
    response.writableFinished = true;
    response.emit("close");
    expect(abort.signal.aborted).toBe(false);
  });

  it("aborts the upstream call when the client goes away before the response has ended", () => {
    const response = fakeResponse();
    const abort = abortWhenClientGoes(response);
    response.emit("close");
    expect(abort.signal.aborted).toBe(true);
  });
});
