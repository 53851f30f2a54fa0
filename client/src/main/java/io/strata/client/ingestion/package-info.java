/**
 * The thin-client door: {@link io.strata.client.ingestion.IngestionPublisher} hands records to
 * an ingestion instance, which partitions, batches, compresses and forwards them to the leaders.
 */
package io.strata.client.ingestion;
