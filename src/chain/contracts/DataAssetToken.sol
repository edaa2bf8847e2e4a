// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Pausable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Pausable.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title DataAssetToken
/// @notice A permissioned ERC-20 in the spirit of ERC-3643: tokens move only between
/// whitelisted (verified) and unfrozen identities. The constructor anchors which registry
/// entry the token stands for, so anyone can check it on chain.
contract DataAssetToken is ERC20, ERC20Pausable, AccessControl {
    bytes32 public constant AGENT_ROLE = keccak256("AGENT_ROLE");

    /// @notice Registry id of the data asset (a UUID as a string).
    string public assetId;
    /// @notice sha256 of the asset's canonical data bundle.
    bytes32 public contentDigest;
    /// @notice sha256 of the offering terms this tranche belongs to.
    bytes32 public offeringTermsDigest;

    mapping(address => bool) public isWhitelisted;
    mapping(address => bool) public isFrozen;

    event AssetAnchored(string assetId, bytes32 contentDigest, bytes32 offeringTermsDigest);
    event WhitelistUpdated(address indexed account, bool whitelisted);
    event AddressFrozen(address indexed account, bool frozen);

    error NotWhitelisted(address account);
    error AccountFrozen(address account);
    error BatchLengthMismatch(uint256 recipients, uint256 amounts);

    constructor(
        string memory name_,
        string memory symbol_,
        string memory assetId_,
        bytes32 contentDigest_,
        bytes32 offeringTermsDigest_,
        address admin,
        address settlement
    ) ERC20(name_, symbol_) {
        assetId = assetId_;
        contentDigest = contentDigest_;
        offeringTermsDigest = offeringTermsDigest_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(AGENT_ROLE, admin);
        // The DvP settlement contract mints against payment and burns against payout; zero: none.
        if (settlement != address(0)) _grantRole(AGENT_ROLE, settlement);
        emit AssetAnchored(assetId_, contentDigest_, offeringTermsDigest_);
    }

    function setWhitelisted(address account, bool whitelisted) external onlyRole(AGENT_ROLE) {
        isWhitelisted[account] = whitelisted;
        emit WhitelistUpdated(account, whitelisted);
    }

    function setFrozen(address account, bool frozen) external onlyRole(AGENT_ROLE) {
        isFrozen[account] = frozen;
        emit AddressFrozen(account, frozen);
    }

    function mint(address to, uint256 amount) external onlyRole(AGENT_ROLE) {
        _mint(to, amount);
    }

    function mintBatch(address[] calldata to, uint256[] calldata amounts) external onlyRole(AGENT_ROLE) {
        if (to.length != amounts.length) revert BatchLengthMismatch(to.length, amounts.length);
        for (uint256 i = 0; i < to.length; i++) {
            _mint(to[i], amounts[i]);
        }
    }

    function burn(address from, uint256 amount) external onlyRole(AGENT_ROLE) {
        _burn(from, amount);
    }

    /// @notice Recovery: the agent moves tokens between whitelisted addresses, frozen or not.
    function forcedTransfer(address from, address to, uint256 amount) external onlyRole(AGENT_ROLE) {
        if (!isWhitelisted[to]) revert NotWhitelisted(to);
        ERC20._update(from, to, amount);
    }

    function pause() external onlyRole(AGENT_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(AGENT_ROLE) {
        _unpause();
    }

    /// @dev Every mint, burn and transfer passes here: the receiver must be whitelisted
    /// and neither side frozen. Burns (to == 0) only need an unfrozen sender check skipped.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Pausable) {
        if (to != address(0)) {
            if (!isWhitelisted[to]) revert NotWhitelisted(to);
            if (isFrozen[to]) revert AccountFrozen(to);
        }
        if (from != address(0)) {
            if (to != address(0) && !isWhitelisted[from]) revert NotWhitelisted(from);
            if (isFrozen[from]) revert AccountFrozen(from);
        }
        super._update(from, to, value);
    }
}
