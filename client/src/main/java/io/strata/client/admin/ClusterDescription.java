package io.strata.client.admin;

import io.strata.client.NodeInfo;

import java.util.List;

/**
 * The cluster as coordination sees it.
 *
 * @param clusterId          the id fixed when the metadata store was first initialised
 * @param nodes              live storage nodes, by id
 * @param ingestionEndpoints live ingestion endpoints ({@code host:port}) for thin clients
 */
public record ClusterDescription(String clusterId, List<NodeInfo> nodes, List<String> ingestionEndpoints) {

    public ClusterDescription {
        nodes = List.copyOf(nodes);
        ingestionEndpoints = List.copyOf(ingestionEndpoints);
    }
}
