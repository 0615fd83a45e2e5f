// Tiny but well-formed binary payloads: the suite checks only that data and mimeType are present, but a client that
// decodes them (an inspector, a gateway that logs sizes) should not choke on them.

/** A 1×1 red PNG (8-bit RGB), base64. */
export const RED_PIXEL_PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";

/** A WAV file (PCM, 8 kHz, mono, 8-bit) holding eight samples of silence, base64. */
export const SILENT_WAV_BASE64 = "UklGRiwAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQgAAACAgICAgICAgA==";
