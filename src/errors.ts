/**
 * Errors that cross the client/API boundary. Each carries the HTTP status it means, so the API's
 * one error handler maps them without knowing where they came from.
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export abstract class AftercareError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is well-formed JSON but breaks the contract (field path + what is wrong). */
export class ValidationError extends AftercareError {
  readonly status = 422;
  readonly code = 'validation_failed';
}

export class NotFoundError extends AftercareError {
  readonly status = 404;
  readonly code = 'not_found';
}

/** The request conflicts with the journey's current state (duplicate with other content, stage order). */
export class ConflictError extends AftercareError {
  readonly status = 409;
  readonly code: string;
  constructor(message: string, code = 'conflict') {
    super(message);
    this.code = code;
  }
}

/** Valid shape, but a value the journey cannot accept (a stage its playbook does not have). */
export class UnprocessableError extends AftercareError {
  readonly status = 422;
  readonly code: string;
  constructor(message: string, code = 'unprocessable') {
    super(message);
    this.code = code;
  }
}
