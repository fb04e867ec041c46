/**
 * Bundled into workflow code and loaded by workers and clients (DataConverter.failureConverterPath):
 * error messages and stack traces go into an encoded payload, which the payload codec then encrypts,
 * because a provider's error can name the customer's phone or address. Readers with the codec get the
 * original message back. Only @temporalio/common here: this file runs in the workflow sandbox.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
