export { CHECKSUM_COMPLETE, CHECKSUM_NONE, CHECKSUM_UNNECESSARY, PacketContext, packetOf, registerPacket, registerPacketAlias, unregisterPacket, type PacketKind, type PacketLayout } from './packets.js';
export { createSkBuffContext, SK_BUFF_CB_SIZE, SK_BUFF_SIZE, SkBuff, skbCowHead, skbExpandHead, skbHeadroom, skbTailroom, type SkBuffInit } from './sk-buff.js';
export { createXdpContext, SKB_SHARED_INFO_SIZE, XDP_FRAME_SIZE, XDP_MD_SIZE, XDP_PACKET_HEADROOM, XdpMd, type XdpInit } from './xdp-md.js';
export { createFlowDissectorContext, FLOW_KEYS_SIZE, FlowKeys, flowKeysAddr, resetFlowKeys, type FlowDissectorInit } from './flow-keys.js';
export { BPF_SOCK_SIZE, BpfSock, createPlainContext, createSockAddrContext, MAX_BPF_FUNC_ARGS, SK_LOOKUP_SIZE, SkLookup, SOCK_ADDR_SIZE, SockAddr } from './plain.js';
export { ETH_HLEN, ETH_P_IP, ETH_P_IPV6, ethTypeTrans, LOOPBACK_DEVICE, PacketType, type EthDevice, type EthTypeTrans } from './eth.js';
export { releasePacketContext } from './release.js';
export { bindCgroupStorage, boundCgroupStorage, unbindCgroupStorage } from './local-storage.js';
export { createSkStorage, deleteSkStorage, freeSkStorage, skStorage } from './sk-storage.js';
