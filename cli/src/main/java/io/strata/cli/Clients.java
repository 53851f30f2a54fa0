package io.strata.cli;

import io.strata.client.CommonClientConfigs;
import io.strata.client.admin.StrataAdmin;

import java.util.HashMap;
import java.util.Map;

/** Builds the client configs the commands use. */
final class Clients {

    /** The {@code client.id} the CLI's clients use. */
    static final String CLIENT_ID = "strata-cli";

    private Clients() {
    }

    /** Common config: bootstrap servers and client id. */
    static Map<String, Object> baseConfig(String bootstrap) {
        Map<String, Object> config = new HashMap<>();
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS, bootstrap);
        config.put(CommonClientConfigs.CLIENT_ID, CLIENT_ID);
        return config;
    }

    static StrataAdmin admin(String bootstrap) {
        return new StrataAdmin(baseConfig(bootstrap));
    }
}
