import type { Refusal } from "./refusal";

/** A refusal or error, shown plainly as an alert: its status and meaning, then the gateway's own words. */
export function RefusalView({ refusal }: { refusal: Refusal }) {
  return (
    <div class="refusal" role="alert">
      <p class="refusal-title">{refusal.title}</p>
      <p>{refusal.detail}</p>
    </div>
  );
}
