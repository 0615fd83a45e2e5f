import {
  acceptedContent,
  inputRequired,
  inputResponse,
  type CallToolResult,
  type InputRequiredResult,
  type RequestStateCodec,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import { toMinutes, toTime, type Calendar, type CalendarEvent, type MeetingProposal } from "./calendar";

/** The `inputRequests` key under which book_meeting asks the user to confirm (SEP-2322). */
export const CONFIRM_KEY = "confirm";

/** What book_meeting seals into `requestState` when it asks: the exact meeting the user is asked about. */
export interface BookingState {
  proposal: MeetingProposal;
}

/** What book_meeting answers once the user has decided. */
export type BookingOutcome = { booked: true; event: CalendarEvent } | { booked: false; reason: string };

/** Everything book_meeting needs: the calendar, the requestState codec, and who to tell about a new booking. */
export interface BookingDeps {
  calendar: Calendar;
  requestState: RequestStateCodec<BookingState>;
  onBooked(event: CalendarEvent): void;
}

/** The arguments of book_meeting. */
export const bookingArgs = z.object({
  title: z.string().trim().min(1).max(100).describe("What the meeting is about"),
  start: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM (24 h)")
    .describe("Start time today, HH:MM"),
  durationMinutes: z.number().int().min(5).max(480).describe("Length in minutes (5..480)"),
});

// Flat and primitive, so the SDK can send it as an elicitation form; validated again on the way back.
const confirmation = z.object({ confirm: z.boolean().meta({ title: "Book this meeting?" }) });

/**
 * book_meeting: checks the slot, asks the user to confirm with an input_required result (an elicitation form), and
 * books only when the retry confirms the very meeting it asked about. The question is sealed in `requestState`
 * (HMAC, verified by the SDK before this runs), so a confirmation cannot be replayed onto other arguments: a retry
 * whose arguments differ is asked again. The slot is checked again at booking time.
 */
export async function bookMeeting(
  deps: BookingDeps,
  proposal: MeetingProposal,
  ctx: ServerContext,
): Promise<CallToolResult | InputRequiredResult> {
  const problem = deps.calendar.conflict(proposal);
  if (problem !== undefined) {
    return outcome({ booked: false, reason: `cannot book ${describe(proposal)}: ${problem}` }, true);
  }
  const asked = ctx.mcpReq.requestState<BookingState>()?.proposal;
  const answer = inputResponse(ctx.mcpReq.inputResponses, CONFIRM_KEY);
  if (asked === undefined || !sameProposal(asked, proposal) || answer.kind !== "elicit") {
    return askToConfirm(deps, proposal);
  }
  if (answer.action !== "accept") return outcome({ booked: false, reason: `the user chose to ${answer.action}` });
  if (acceptedContent(ctx.mcpReq.inputResponses, CONFIRM_KEY, confirmation)?.confirm !== true) {
    return outcome({ booked: false, reason: "the user did not confirm" });
  }
  const event = deps.calendar.book(proposal);
  deps.onBooked(event);
  return outcome({ booked: true, event });
}

async function askToConfirm(deps: BookingDeps, proposal: MeetingProposal): Promise<InputRequiredResult> {
  return inputRequired({
    inputRequests: {
      [CONFIRM_KEY]: inputRequired.elicit({ message: `Book ${describe(proposal)}?`, requestedSchema: confirmation }),
    },
    requestState: await deps.requestState.mint({ proposal }),
  });
}

// A slot that cannot be booked is a tool error; a user who says no is an ordinary answer.
function outcome(value: BookingOutcome, isError = false): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(value) }], ...(isError && { isError }) };
}

function describe(proposal: MeetingProposal): string {
  const end = toTime(toMinutes(proposal.start) + proposal.durationMinutes);
  return `"${proposal.title}" today ${proposal.start}-${end}`;
}

function sameProposal(a: MeetingProposal, b: MeetingProposal): boolean {
  return a.title === b.title && a.start === b.start && a.durationMinutes === b.durationMinutes;
}
