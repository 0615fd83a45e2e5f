/** HTTP-style status of a {@link ConsumerError}: bad input, unknown consumer, or a conflict with the stored state. */
export type ConsumerErrorStatus = 400 | 404 | 409;

/** A consumer operation failed because of its input or the stored state; `status` says which, `field` names bad input. */
export class ConsumerError extends Error {
  override readonly name: string = "ConsumerError";
  readonly status: ConsumerErrorStatus;
  readonly field: string | undefined;

  constructor(status: ConsumerErrorStatus, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.status = status;
    this.field = options.field;
  }
}

/** A store refused to create a consumer because the name is taken (revoked names included). */
export class ConsumerExistsError extends ConsumerError {
  override readonly name = "ConsumerExistsError";

  constructor(consumer: string) {
    super(409, `consumer "${consumer}" already exists`, { field: "name" });
  }
}

/** A store has no consumer with this name. */
export class ConsumerNotFoundError extends ConsumerError {
  override readonly name = "ConsumerNotFoundError";

  constructor(consumer: string) {
    super(404, `consumer "${consumer}" not found`);
  }
}

/** The consumer is revoked; revocation is final, so its record can no longer change. */
export class ConsumerRevokedError extends ConsumerError {
  override readonly name = "ConsumerRevokedError";

  constructor(consumer: string) {
    super(409, `consumer "${consumer}" is revoked`);
  }
}
