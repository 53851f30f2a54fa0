package io.strata.coordination.store;

/**
 * The outcome of a transaction.
 *
 * @param succeeded whether every compare held (and so the ops were applied)
 * @param revision  the store revision after the transaction: the one its changes carry when
 *                  it changed something, else the current one
 */
public record TxnResult(boolean succeeded, long revision) {
}
